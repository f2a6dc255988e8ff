@testable import Catalog
import Testing

/// `/v1/models` reads its members through `ShownLayers` instead of whole enriched views: it must
/// show exactly what it showed from them.
@Suite("OpenAI model objects from shown layers")
struct OpenAIModelLayersTests {
    @Test("objects drawn without enrichment equal those drawn from enriched model_info, key for key")
    func layersAgreeWithEnrichment() {
        let costMap = ModelInfoEnrichmentTests.costMap
        func deployment(_ id: String, _ name: String, _ model: String, info: [String: JSONValue] = [:],
                        params: [String: JSONValue] = [:]) -> Deployment {
            var litellmParams = params
            litellmParams["model"] = .string(model)
            return Deployment(id: id, modelName: name, litellmParams: litellmParams, modelInfo: info)
        }
        let deployments = [
            deployment("a", "g1", "openai/gpt-4o"),
            deployment("b", "g1", "azure/gpt-4o", info: ["max_input_tokens": 1_000, "mode": .null]),
            deployment("c", "g2", "cheap", info: ["max_output_tokens": .null, "litellm_provider": "bedrock"]),
            deployment("d", "g2", "nowhere/unknown", info: ["mode": "embedding", "max_output_tokens": 7]),
            deployment("e", "g3", "nowhere/else", params: ["input_cost_per_token": 1e-6]),
            deployment("f", "g4", "gpt-4o", info: ["base_model": "azure/gpt-4o", "max_input_tokens": .null]),
        ]
        let lean = ModelGroup.partition(deployments, costMap: costMap, enriched: false).map(OpenAIModelView.json)
        let full = ModelGroup.partition(deployments, costMap: costMap, enriched: true).map(OpenAIModelView.json)
        #expect(lean == full)
        #expect(lean.count == 4)
        // The fixture reaches every source of the three keys: own values, the map, and nothing.
        #expect(lean[0].objectValue?["max_input_tokens"] == 128_000)
        #expect(lean[1].objectValue?["mode"] == "embedding")
        #expect(lean[2].objectValue?["mode"] == .null)
    }

    @Test("a price key is one containing `cost`, byte for byte, wherever it stands", arguments: [
        ("input_cost_per_token", true), ("cost", true), ("xcost", true), ("costly", true), ("cocost", true),
        ("cos", false), ("co st", false), ("COST", false), ("", false), ("max_tokens", false), ("costé", true), ("écost", true),
    ])
    func priceKeys(name: String, isPrice: Bool) {
        #expect(ModelInfoEnrichment.isPriceKey(name) == isPrice)
    }
}
