import Catalog
import Foundation
import Testing

@Suite("Views")
struct ViewTests {
    static let costMap = CostMap(entries: [
        "gpt-4o": [
            "max_input_tokens": 128000, "max_output_tokens": 16384, "input_cost_per_token": 2.5e-06,
            "litellm_provider": "openai", "mode": "chat", "supports_vision": true, "supports_fast_mode": true,
        ],
        "azure/gpt-4o": [
            "max_input_tokens": 64000, "max_output_tokens": 32000, "input_cost_per_token": 5e-06,
            "litellm_provider": "azure", "mode": "chat", "supports_vision": false, "reasoning_effort_levels": ["low", "high"],
        ],
    ])

    static func deployment(
        _ id: String, _ name: String, _ params: [String: JSONValue], info: [String: JSONValue] = [:], created: Double? = nil
    ) -> Deployment {
        Deployment(id: id, modelName: name, litellmParams: params, modelInfo: info,
                   createdAt: created.map { Date(timeIntervalSince1970: $0) })
    }

    static let deployments = [
        deployment("a", "chat", ["model": "openai/gpt-4o", "tpm": 100, "rpm": 1], info: ["description": "first"], created: 2000.7),
        deployment("b", "other", ["model": "openai/gpt-4o"]),
        deployment("c", "chat", ["model": "azure/gpt-4o", "tpm": 50], info: ["description": "second"], created: 1000.9),
        deployment("d", "chat", ["model": "anthropic/unknown"], info: ["tpm": 7]),
    ]

    @Test func deploymentViewRedactsAndAddsLiteLLMsDefaultFlags() {
        let view = DeploymentView.json(
            Self.deployment("a", "chat", [
                "model": "openai/gpt-4o", "api_key": "sk-test-123", "use_litellm_proxy": true,
                "extra_headers": ["Authorization": "Bearer sk-test-123"],
            ]),
            costMap: Self.costMap
        )
        #expect(view["model_name"] == "chat")
        let params = view["litellm_params"]
        #expect(params?["api_key"] == nil)
        #expect(params?["extra_headers"] == ["Authorization": .string(Redaction.placeholder)])
        #expect(params?["use_litellm_proxy"] == true, "a configured flag is kept")
        #expect(params?["use_in_pass_through"] == false)
        #expect(params?["merge_reasoning_content_in_choices"] == false)
        #expect(view["model_info"]?["key"] == "gpt-4o")
        #expect(!JSONWriter.string(view).contains("sk-test-123"))
    }

    @Test func groupsAggregateTheirDeployments() throws {
        let groups = ModelGroupView.groups(Self.deployments, costMap: Self.costMap)
        #expect(groups.map { $0["model_group"] } == ["chat", "other"])
        let chat = groups[0]
        #expect(chat["providers"] == ["anthropic", "azure", "openai"])
        #expect(chat["max_input_tokens"] == 128000)
        #expect(chat["max_output_tokens"] == 32000)
        #expect(chat["input_cost_per_token"] == 5e-06)
        #expect(chat["output_cost_per_token"] == .null)
        #expect(chat["mode"] == "chat")
        #expect(chat["tpm"] == 157, "litellm_params tpm, else model_info tpm")
        #expect(chat["rpm"] == 1)
        #expect(chat["itpm"] == .null)
        #expect(chat["supports_vision"] == true)
        #expect(chat["supports_fast_mode"] == true, "read from the cost map though not in model_info")
        #expect(chat["supports_reasoning"] == false)
        #expect(chat["supported_reasoning_efforts"] == ["low", "high"])
        #expect(chat["description"] == "first")
        #expect(chat["is_public_model_group"] == false)
        #expect(chat["configurable_clientside_auth_params"] == .null)
        let other = groups[1]
        #expect(other["tpm"] == .null)
        #expect(other["rpm"] == .null)
        #expect(other["description"] == .null)
        #expect(other["supported_reasoning_efforts"] == .null)
    }

    @Test func openAIModelsSayTheRealProviderAndTheEarliestCreation() throws {
        let models = OpenAIModelView.models(Self.deployments, costMap: Self.costMap)
        #expect(models.count == 2)
        #expect(models[0] == [
            "id": "chat", "object": "model", "created": 1000, "owned_by": "openai",
            "mode": "chat", "max_input_tokens": 128000, "max_output_tokens": 32000,
        ])
        #expect(models[1]["created"] == .int(OpenAIModelView.defaultCreated))
        #expect(models[1]["created"] == 1677610602)
        let azure = Self.deployment("z", "az", ["model": "azure/gpt-4o"])
        #expect(OpenAIModelView.models([azure], costMap: Self.costMap)[0]["owned_by"] == "azure")
    }

    @Test func oneOpenAIModelByName() {
        let model = OpenAIModelView.model(named: "other", in: Self.deployments, costMap: Self.costMap)
        #expect(model?["id"] == "other")
        #expect(model?["max_input_tokens"] == 128000)
        #expect(OpenAIModelView.model(named: "missing", in: Self.deployments, costMap: Self.costMap) == nil)
    }
}
