import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("No secret in any response")
struct SecretLeakTests {
    /// Every read endpoint, plus the replies of the write endpoints.
    static let readURIs = [
        "/model/info", "/v1/model/info", "/v2/model/info", "/v2/model/info?size=5&page=2", "/model/info?litellm_model_id=dep-0000",
        "/model_group/info", "/model_group/info?model_group=gpt-4o-000", "/models", "/v1/models", "/v1/models/gpt-4o-000",
        "/utils/model_info?model=gpt-4o", "/health/readiness", "/health/liveliness",
    ]

    @Test("the reference config's responses contain neither sk-test-123 nor an api_key key")
    func referenceConfig() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            var texts: [String] = []
            for uri in Self.readURIs {
                let response = try await client.json(uri)
                #expect(response.status == .ok, "\(uri)")
                texts.append(response.text)
            }
            texts.append(try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"dep-0000","tier":"gold"},"litellm_params":{"rpm":7}}
                """).text)
            texts.append(try await client.json("/model/dep-0003/update", method: .patch, body: """
                {"litellm_params":{"tpm":9}}
                """).text)
            texts.append(try await client.json("/model/new", method: .post, body: """
                {"model_name":"leaky","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-test-123",
                 "extra_headers":{"Authorization":"Bearer sk-test-123","X-Trace":"ok"},
                 "vertex_credentials":"sk-test-123","aws_secret_access_key":"sk-test-123",
                 "nested":[{"client_secret":"sk-test-123"},{"private_key":"sk-test-123"}]}}
                """).text)
            texts.append(try await client.json("/model/new", method: .post, body: """
                {"model_name":"dup","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-test-123"},"model_info":{"id":"dep-0000"}}
                """).text)
            texts.append(try await client.json("/model/info").text)
            for text in texts {
                #expect(!text.contains("sk-test-123"))
                #expect(!text.contains("\"api_key\":"))
            }
            // The masked header is shown as the placeholder; the harmless one as it is.
            let leaky = (try await client.json("/model/info").body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            let params = leaky.first { $0["model_name"] as? String == "leaky" }?["litellm_params"] as? [String: Any]
            let headers = params?["extra_headers"] as? [String: Any]
            #expect(headers?["Authorization"] as? String == "********")
            #expect(headers?["X-Trace"] as? String == "ok")
        }
        await catalog.close()
    }
}
