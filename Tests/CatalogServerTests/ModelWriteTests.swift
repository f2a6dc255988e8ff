import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Model writes: update, patch, delete")
struct ModelWriteTests {
    static func params(_ client: any TestClientProtocol, id: String) async throws -> [String: Any]? {
        let response = try await client.json("/model/info?litellm_model_id=\(id)")
        let data = (response.body as? [String: Any])?["data"] as? [[String: Any]]
        return data?.first?["litellm_params"] as? [String: Any]
    }

    @Test("POST /model/update is partial: keys given replace, keys absent stay")
    func partialUpdate() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            _ = try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_base":"https://a.example","rpm":5},
                 "model_info":{"id":"m-1","tier":"free","sla":"gold"}}
                """)
            let updated = try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"m-1","tier":"paid"},"litellm_params":{"rpm":6}}
                """)
            #expect(updated.status == .ok)
            let body = updated.body as? [String: Any]
            let params = body?["litellm_params"] as? [String: Any]
            let info = body?["model_info"] as? [String: Any]
            #expect(params?["rpm"] as? Int == 6)
            #expect(params?["api_base"] as? String == "https://a.example")
            #expect(info?["tier"] as? String == "paid")
            #expect(info?["sla"] as? String == "gold")
            #expect(body?["model_name"] as? String == "m")
        }
        await catalog.close()
    }

    @Test("PATCH /model/{id}/update removes litellm_params_to_remove, and never model")
    func patchRemoves() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            _ = try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_base":"https://a.example","api_version":"1"},"model_info":{"id":"m-1"}}
                """)
            let patched = try await client.json("/model/m-1/update", method: .patch, body: """
                {"model_name":"renamed","litellm_params_to_remove":["api_version"]}
                """)
            #expect(patched.status == .ok)
            let params = try await Self.params(client, id: "m-1")
            #expect(params?["api_version"] == nil)
            #expect(params?["api_base"] as? String == "https://a.example")
            #expect((patched.body as? [String: Any])?["model_name"] as? String == "renamed")
        }
        await catalog.close()
    }

    @Test("a secret sent back as the redaction placeholder keeps the stored secret (litellm #15791)")
    func placeholderKeepsSecret() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            _ = try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_token":"tok-original"},"model_info":{"id":"m-1"}}
                """)
            let shown = try await Self.params(client, id: "m-1")
            #expect(shown?["api_token"] as? String == "********")
            _ = try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"m-1"},"litellm_params":{"api_token":"********","rpm":3}}
                """)
            // The column holds the placeholder; the sealed value is still the original.
            let stored = try await catalog.pool.query("SELECT litellm_params->>'api_token' AS token FROM models WHERE id = 'm-1'")
            #expect(try stored[0].decode(String.self, "token") == "********")
            let sealed = try await ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "m-1").litellmParams
            #expect(sealed == [[.key("api_token")]: "tok-original"])
        }
        await catalog.close()
    }

    @Test("POST /model/delete answers LiteLLM's message and the model is gone")
    func delete() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            _ = try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1"}}
                """)
            let deleted = try await client.json("/model/delete", method: .post, body: #"{"id":"m-1"}"#)
            #expect(deleted.status == .ok)
            #expect((deleted.body as? [String: Any])?["message"] as? String == "Model: m-1 deleted successfully")
            #expect(try await client.json("/model/info?litellm_model_id=m-1").status == .notFound)
            #expect(try await client.json("/model/delete", method: .post, body: #"{"id":"m-1"}"#).status == .notFound)
        }
        await catalog.close()
    }

    @Test("GET /v2/model/info pages and searches model_name and litellm_params.model")
    func pagination() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let page = try await client.json("/v2/model/info?page=2&size=20").body as? [String: Any]
            #expect(page?["total_count"] as? Int == 50)
            #expect(page?["current_page"] as? Int == 2)
            #expect(page?["total_pages"] as? Int == 3)
            #expect(page?["size"] as? Int == 20)
            #expect((page?["data"] as? [Any])?.count == 20)
            let last = try await client.json("/v2/model/info?page=3&size=20").body as? [String: Any]
            #expect((last?["data"] as? [Any])?.count == 10)
            let byProvider = try await client.json("/v2/model/info?search=anthropic/claude-haiku").body as? [String: Any]
            #expect(byProvider?["total_count"] as? Int == 10)
            let byName = try await client.json("/v2/model/info?search=AZURE-GPT4O").body as? [String: Any]
            #expect(byName?["total_count"] as? Int == 10)
        }
        await catalog.close()
    }
}
