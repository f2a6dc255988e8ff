import CatalogStore
import Hummingbird

/// GET /metrics: Prometheus's text exposition format, without a key (like LiteLLM's default, and
/// as scrapers expect); it holds counts, route templates and gateway keys' tokens only, never a
/// model or a key's text.
struct MetricsController: Sendable {
    let metrics: CatalogMetrics
    let database: CatalogDatabase
    let cache: ReplicaCache?
    let subscribers: StreamSubscribers

    func addRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/metrics", use: exposition)
    }

    @Sendable func exposition(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let bytes = await metrics.exposition(database: database, cache: cache, subscribers: subscribers)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
