import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("A known path with another method")
struct MethodNotAllowedTests {
    @Test("answers 405 with Allow, in LiteLLM's error shape; unknown paths stay 404; real routes are untouched")
    func methodNotAllowed() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.post, "/model/info", "GET"), (.get, "/model/new", "POST"),
                (.delete, "/v1/models/openai/gpt-4o", "GET"), (.put, "/model/abc/update", "PATCH"),
                (.post, "/health/readiness", "GET"),
            ] {
                try await client.execute(uri: path, method: method, headers: adminHeaders) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    let error = body?["error"] as? [String: Any]
                    #expect(error?["code"] as? String == "405")
                    #expect((error?["message"] as? String)?.contains(allow) == true)
                }
            }
            #expect(try await client.execute(uri: "/no/such/path", method: .post, headers: adminHeaders) { $0.status } == .notFound)
            #expect(try await client.execute(uri: "/model/info/extra", method: .get, headers: adminHeaders) { $0.status } == .notFound)
            // The routes themselves answer as before: a missing model is still a 404 of the route.
            #expect(try await client.execute(uri: "/model/info", method: .get, headers: adminHeaders) { $0.status } == .ok)
            #expect(try await client.execute(uri: "/v1/models/no-such-model", method: .get, headers: adminHeaders) { $0.status } == .notFound)
        }
        await catalog.close()
    }
}
