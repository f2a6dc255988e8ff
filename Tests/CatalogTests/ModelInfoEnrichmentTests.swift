import Catalog
import Testing

@Suite("ModelInfoEnrichment")
struct ModelInfoEnrichmentTests {
    static let costMap = CostMap(entries: [
        "gpt-4o": [
            "max_tokens": 16384, "max_input_tokens": 128000, "max_output_tokens": 16384,
            "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05, "litellm_provider": "openai",
            "mode": "chat", "supports_vision": true, "supports_function_calling": true, "tpm": 500,
            "source": "https://example.com/pricing",
        ],
        "azure/gpt-4o": ["max_input_tokens": 64000, "input_cost_per_token": 3e-06, "litellm_provider": "azure", "mode": "chat"],
        "cheap": ["input_cost_per_token": -1, "output_cost_per_token": -0.5, "max_tokens": 100, "litellm_provider": "openai"],
        "sample_spec": ["mode": "one of: chat, embedding", "litellm_provider": "one of the providers"],
    ])

    static func deployment(
        _ model: String, params: [String: JSONValue] = [:], info: [String: JSONValue] = [:], source: Deployment.Source = .config
    ) -> Deployment {
        var litellmParams = params
        litellmParams["model"] = .string(model)
        return Deployment(id: "dep-1", modelName: "group", litellmParams: litellmParams, modelInfo: info, source: source)
    }

    static func enrich(_ deployment: Deployment) -> [String: JSONValue] {
        ModelInfoEnrichment.enrich(deployment, costMap: costMap)
    }

    @Test func costMapFillsTheSchemaKeys() {
        let info = Self.enrich(Self.deployment("openai/gpt-4o"))
        #expect(info["key"] == "gpt-4o")
        #expect(info["max_input_tokens"] == 128000)
        #expect(info["input_cost_per_token"] == 2.5e-06)
        #expect(info["mode"] == "chat")
        #expect(info["supports_vision"] == true)
        #expect(info["litellm_provider"] == "openai")
        // Only schema keys come from the cost map, as in LiteLLM.
        #expect(info["source"] == nil)
    }

    @Test func ownModelInfoWins() {
        let info = Self.enrich(Self.deployment(
            "openai/gpt-4o", info: ["max_input_tokens": 4096, "mode": nil, "description": "mine", "tier": "paid"]
        ))
        #expect(info["max_input_tokens"] == 4096)
        #expect(info["mode"] == "chat", "a null of our own counts as unknown and is filled")
        #expect(info["description"] == "mine")
        #expect(info["tier"] == "paid")
        #expect(info["max_output_tokens"] == 16384)
    }

    @Test func pricesInLitellmParamsOverrideTheCostMap() {
        let info = Self.enrich(Self.deployment("openai/gpt-4o", params: [
            "output_cost_per_token": 2e-05, "input_cost_per_token": 1e-06, "cache_read_input_token_cost": 5e-07,
            "tpm": 1000, "output_cost_per_second": nil,
        ]))
        #expect(info["input_cost_per_token"] == 1e-06)
        #expect(info["output_cost_per_token"] == 2e-05)
        #expect(info["cache_read_input_token_cost"] == 5e-07)
        #expect(info["pricing_overrides"] == ["cache_read_input_token_cost", "input_cost_per_token", "output_cost_per_token"])
        #expect(info["max_input_tokens"] == 128000)
    }

    @Test func noOverridesIsAnEmptyList() {
        #expect(Self.enrich(Self.deployment("openai/gpt-4o"))["pricing_overrides"] == [])
    }

    @Test func rateLimitsInLitellmParamsAreNotCopied() {
        let info = Self.enrich(Self.deployment("openai/gpt-4o", params: ["tpm": 1000, "rpm": 10]))
        #expect(info["tpm"] == 500, "the cost map's tpm, not the deployment's")
        #expect(info["rpm"] == .null)
    }

    @Test func baseModelIsLookedUpFirst() {
        let info = Self.enrich(Self.deployment("azure/my-deployment", info: ["base_model": "azure/gpt-4o"]))
        #expect(info["key"] == "azure/gpt-4o")
        #expect(info["max_input_tokens"] == 64000)
        #expect(info["litellm_provider"] == "azure")
        #expect(info["base_model"] == "azure/gpt-4o")
    }

    @Test func anUnknownBaseModelFallsBackToTheModel() {
        let info = Self.enrich(Self.deployment("azure/gpt-4o", info: ["base_model": "azure/gpt-unknown"]))
        #expect(info["key"] == "azure/gpt-4o")
        #expect(info["max_input_tokens"] == 64000)
    }

    @Test func theFullModelIsLookedUpBeforeItsStrippedName() {
        #expect(Self.enrich(Self.deployment("azure/gpt-4o"))["key"] == "azure/gpt-4o")
        #expect(Self.enrich(Self.deployment("gpt-4o"))["key"] == "gpt-4o")
        #expect(Self.enrich(Self.deployment("bedrock/eu/gpt-4o"))["key"] == .null, "only the first prefix is stripped")
    }

    @Test func negativePricesAreUnknown() {
        let info = Self.enrich(Self.deployment("openai/cheap"))
        #expect(info["key"] == "cheap")
        #expect(info["input_cost_per_token"] == .null)
        #expect(info["output_cost_per_token"] == .null)
        #expect(info["max_tokens"] == 100)
    }

    @Test func sampleSpecNeverMatches() {
        let info = Self.enrich(Self.deployment("sample_spec"))
        #expect(info["key"] == .null)
        #expect(info["mode"] == .null)
    }

    @Test func anUnknownModelHasEveryKeyNull() {
        let info = Self.enrich(Self.deployment("anthropic/claude-unknown"))
        for key in ModelInfoSchema.keys + ModelInfoEnrichment.coreKeys {
            #expect(info[key] != nil, "\(key) missing")
        }
        #expect(info["key"] == .null)
        #expect(info["max_tokens"] == .null)
        #expect(info["input_cost_per_token"] == .null)
        #expect(info["supports_vision"] == .null)
        #expect(info["supported_openai_params"] == .null)
        #expect(info["litellm_provider"] == "anthropic", "the provider is known from the prefix")
        #expect(info["member_auto_router"] == false)
    }

    @Test func identityIsOurs() {
        let fromAPI = Self.enrich(Self.deployment("openai/gpt-4o", info: ["id": "spoofed", "key": "spoofed"], source: .api))
        #expect(fromAPI["id"] == "dep-1")
        #expect(fromAPI["db_model"] == true)
        #expect(fromAPI["key"] == "gpt-4o")
        #expect(Self.enrich(Self.deployment("openai/gpt-4o"))["db_model"] == false)
    }

    @Test func schemaHasLiteLLMsKeysAndNotTheConfiguredOnes() {
        let keys = Set(ModelInfoSchema.keys)
        #expect(keys.count == ModelInfoSchema.keys.count, "no duplicates")
        #expect(keys.isSuperset(of: ModelInfoEnrichment.coreKeys))
        #expect(keys.isSuperset(of: ["id", "db_model", "key", "pricing_overrides", "tpm", "rpm", "supported_openai_params"]))
        #expect(keys.isDisjoint(with: ["description", "team", "tier", "sla", "metadata", "base_model"]))
    }
}

@Suite("Provider")
struct ProviderTests {
    static func provider(_ model: String, entry: [String: JSONValue]? = nil) -> String {
        Provider.of(Deployment(id: "d", modelName: "m", litellmParams: ["model": .string(model)]), costEntry: entry)
    }

    @Test func thePrefixWins() {
        #expect(Self.provider("bedrock/anthropic.claude-3", entry: ["litellm_provider": "bedrock_converse"]) == "bedrock")
        #expect(Self.provider("vertex_ai/gemini-2.5-pro") == "vertex_ai")
        #expect(Self.provider("azure/gpt-4o-deploy") == "azure")
    }

    @Test func aBareModelTakesTheCostMapsProvider() {
        #expect(Self.provider("claude-haiku-4-5", entry: ["litellm_provider": "anthropic"]) == "anthropic")
    }

    @Test func anUnknownBareModelIsOpenAI() {
        #expect(Self.provider("my-model") == "openai")
        #expect(Self.provider("/leading-slash") == "openai")
    }
}
