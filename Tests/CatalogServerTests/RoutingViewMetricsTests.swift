@testable import CatalogServer
import Testing

/// The per-key count of routing views in the exposition: labelled by the key's token, described.
@Suite("Routing view metrics")
struct RoutingViewMetricsTests {
    @Test("each opening counts for its key, with the deployments it opened; HELP and TYPE lines; no key text")
    func counted() throws {
        let metrics = CatalogMetrics()
        let first = "3f1c2a9e-0000-4000-8000-000000000001", second = "3f1c2a9e-0000-4000-8000-000000000002"
        metrics.routingViewOpened(keyID: first, models: 3)
        metrics.routingViewOpened(keyID: first, models: 2)
        metrics.routingViewOpened(keyID: second, models: 1)
        let text = String(decoding: metrics.registry.emitToBuffer(), as: UTF8.self)
        let exposition = try PrometheusExposition(text)
        #expect(exposition.types["catalog_routing_view_opened_total"] == "counter")
        #expect(exposition.value("catalog_routing_view_opened_total", ["key": first]) == 2)
        #expect(exposition.value("catalog_routing_view_opened_total", ["key": second]) == 1)
        #expect(exposition.value("catalog_routing_view_models_total", ["key": first]) == 5)
        #expect(exposition.value("catalog_routing_view_models_total", ["key": second]) == 1)
        #expect(text.contains("# HELP catalog_routing_view_opened_total "))
        #expect(text.contains("# HELP catalog_routing_view_models_total "))
    }
}
