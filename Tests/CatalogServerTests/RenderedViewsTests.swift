import Catalog
@testable import CatalogServer
import Testing

@Suite("Rendered views: one deployment rendered once per version and cost map")
struct RenderedViewsTests {
    static func deployment(_ id: String, rpm: Int = 1, tenant: String? = "t1") -> Deployment {
        Deployment(id: id, tenantID: tenant, modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o", "rpm": .int(rpm)]).heldForDisplay
    }

    static let costMap = CostMap(entries: ["gpt-4o": ["input_cost_per_token": .double(2.5e-6), "litellm_provider": "openai"]])

    @Test("a kept view is the bytes a fresh render gives; a changed deployment or cost map is rendered again")
    func reuseAndInvalidation() {
        let views = RenderedViews()
        let first = (0..<10).map { Self.deployment("m\($0)") }
        let rendered = views.views(first, costMap: Self.costMap, revision: 1)
        #expect(rendered.map(JSONWriter.bytes) == first.map { JSONWriter.bytes(DeploymentView.json($0, costMap: Self.costMap)) })
        #expect(views.usage.entries == 10)

        // m3 changed: its new row is shown, the nine others come from what was kept.
        var second = first
        second[3] = Self.deployment("m3", rpm: 99)
        let again = views.views(second, costMap: Self.costMap, revision: 1)
        #expect(again[3]["litellm_params"]?["rpm"] == .int(99))
        #expect(again.map(JSONWriter.bytes) == second.map { JSONWriter.bytes(DeploymentView.json($0, costMap: Self.costMap)) })
        #expect(views.usage.entries == 10, "m3's old view was replaced, not kept beside the new one")

        // Another cost map (revision): prices come from it, not from the kept views.
        let cheaper = CostMap(entries: ["gpt-4o": ["input_cost_per_token": .double(1e-6), "litellm_provider": "openai"]])
        let repriced = views.views(second, costMap: cheaper, revision: 2)
        #expect(repriced.allSatisfy { $0["model_info"]?["input_cost_per_token"] == .double(1e-6) })
    }

    @Test("bounded by bytes: the oldest views go first, and what is shown is always right")
    func bounded() {
        let one = JSONWriter.bytes(DeploymentView.json(Self.deployment("m0"), costMap: Self.costMap)).count
        let views = RenderedViews(maxBytes: one * 5 + one / 2)
        let many = (0..<20).map { Self.deployment("m\($0)") }
        for start in stride(from: 0, to: 20, by: 4) {
            let batch = Array(many[start..<(start + 4)])
            #expect(views.views(batch, costMap: Self.costMap, revision: 1).map(JSONWriter.bytes)
                == batch.map { JSONWriter.bytes(DeploymentView.json($0, costMap: Self.costMap)) })
            #expect(views.usage.bytes <= one * 5 + one / 2)
        }
        #expect(views.usage.entries == 5)
    }
}
