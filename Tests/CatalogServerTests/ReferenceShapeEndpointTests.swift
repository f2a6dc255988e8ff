import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Endpoints match LiteLLM's reference responses")
struct ReferenceShapeEndpointTests {
    @Test("GET /model/info, /model_group/info and /v1/models have the reference's keys at the same places")
    func shapes() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            for (uri, file) in [("/model/info", "model_info.json"), ("/model_group/info", "model_group_info.json"),
                                ("/v1/models", "v1_models.json")] {
                let response = try await client.json(uri)
                #expect(response.status == .ok)
                let reference = try TestCatalog.reference(file)
                // Ours alone: each deployment's stored version, which an If-Match names, and where
                // its prices came from.
                let ours = file == "model_info.json"
                    ? (0..<50).flatMap { index in
                        ["catalog_source", "price_provenance", "pricing_drift", "secret_params", "version"]
                            .map { "$.data[\(index)].model_info.\($0) extra" }
                    }
                    : []
                #expect(shapeDifferences(response.body, reference) == ours, "\(uri)")
            }
            // /v1/model/info is /model/info under another name.
            let v1 = try await client.json("/v1/model/info")
            let plain = try await client.json("/model/info")
            #expect(v1.text == plain.text)
        }
        await catalog.close()
    }

    @Test("values come from our cost map: prices, limits, providers, and tpm/rpm summed per group")
    func values() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let info = try await client.json("/model/info").body as? [String: Any]
            let deployments = info?["data"] as? [[String: Any]] ?? []
            #expect(deployments.count == 50)
            let reference = (try TestCatalog.reference("model_info.json") as? [String: Any])?["data"] as? [[String: Any]] ?? []
            for (ours, theirs) in zip(deployments, reference) {
                let ourInfo = ours["model_info"] as? [String: Any] ?? [:]
                let theirInfo = theirs["model_info"] as? [String: Any] ?? [:]
                #expect(ourInfo["id"] as? String == theirInfo["id"] as? String)
                // Where LiteLLM found no cost-map entry it still names one in `key`; we say null.
                let keys = ["input_cost_per_token", "output_cost_per_token", "max_input_tokens", "max_output_tokens",
                            "mode", "litellm_provider"] + (theirInfo["input_cost_per_token"] is NSNull ? [] : ["key"])
                for key in keys {
                    #expect("\(ourInfo[key] ?? "nil")" == "\(theirInfo[key] ?? "nil")", "\(key) of \(theirInfo["id"] ?? "?")")
                }
            }
            let groups = (try await client.json("/model_group/info").body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            let referenceGroups = (try TestCatalog.reference("model_group_info.json") as? [String: Any])?["data"] as? [[String: Any]] ?? []
            #expect(groups.count == referenceGroups.count)
            for (ours, theirs) in zip(groups, referenceGroups) {
                #expect(ours["model_group"] as? String == theirs["model_group"] as? String)
                #expect(ours["tpm"] as? Int == theirs["tpm"] as? Int)
                #expect(ours["rpm"] as? Int == theirs["rpm"] as? Int)
            }
            // owned_by is the provider, not always "openai" as LiteLLM says.
            let models = (try await client.json("/v1/models").body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            let owners = Dictionary(uniqueKeysWithValues: models.compactMap { model in
                (model["id"] as? String).map { ($0, model["owned_by"] as? String ?? "") }
            })
            #expect(owners["claude-sonnet-003"] == "anthropic")
            #expect(owners["gpt-4o-000"] == "openai")
            #expect(owners["azure-gpt4o-002"] == "azure")
        }
        await catalog.close()
    }

    @Test("the docs' POST /model/new, verbatim, then GET /model/info shows it without a restart")
    func docsRequest() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await client.json("/model/new", method: .post, body: """
                {"model_name":"azure-gpt-turbo","litellm_params":{"model":"azure/gpt-3.5-turbo","api_key":"os.environ/AZURE_API_KEY","api_base":"my-azure-api-base"}}
                """)
            #expect(created.status == .ok)
            let createdBody = created.body as? [String: Any]
            #expect(createdBody?["model_name"] as? String == "azure-gpt-turbo")
            let id = (createdBody?["model_info"] as? [String: Any])?["id"] as? String
            #expect(id != nil)
            #expect(!created.text.contains("\"api_key\":"))

            let listed = try await client.json("/model/info")
            let data = (listed.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            #expect(data.count == 1)
            #expect(data.first?["model_name"] as? String == "azure-gpt-turbo")
            let params = data.first?["litellm_params"] as? [String: Any]
            #expect(params?["model"] as? String == "azure/gpt-3.5-turbo")
            #expect(params?["api_base"] as? String == "my-azure-api-base")
            #expect(params?["api_key"] == nil)
            let info = data.first?["model_info"] as? [String: Any]
            #expect(info?["db_model"] as? Bool == true)
            #expect(info?["key"] as? String == "azure/gpt-3.5-turbo" || info?["key"] as? String == "gpt-3.5-turbo")

            let one = try await client.json("/model/info?litellm_model_id=\(id ?? "")")
            #expect(((one.body as? [String: Any])?["data"] as? [Any])?.count == 1)
        }
        await catalog.close()
    }
}
