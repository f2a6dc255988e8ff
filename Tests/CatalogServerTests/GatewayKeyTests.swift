import Catalog
import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Issue 13's gateway keys through the API: only admins make them (shared or bound to a team),
/// they read as the policy says (redacted, like every key's reads here), and write nothing.
@Suite("Gateway keys")
struct GatewayKeyTests {
    typealias Keys = KeyEndpointTests

    /// The seed of `KeyEndpointTests`, plus a shared model holding a literal api_key and a shared credential.
    static func seed(_ client: any TestClientProtocol) async throws {
        try await Keys.seed(client)
        let secret = try await client.json("/model/new", method: .post, body: Keys.body([
            "model_name": "secretive", "litellm_params": ["model": "openai/gpt-4o", "api_key": "sk-gateway-test-literal-4711"],
            "model_info": ["id": "s-secret"],
        ]))
        #expect(secret.status == .ok, "\(secret.text)")
        #expect(try await client.json("/credentials", method: .post, body: CredentialEndpointTests.openAI).status == .ok)
    }

    @Test("admins make shared and team-bound gateway keys; tenant admins are refused (403) and may not change, regenerate or delete one")
    func making() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            let shared = try await Keys.generate(client, ["role": "gateway", "key_alias": "router"])
            #expect(shared["role"] as? String == "gateway")
            #expect(shared["team_id"] is NSNull)
            let bound = try await Keys.generate(client, ["role": "gateway", "team_id": "team-a", "models": ["a-model", "gpt-4o"]])
            #expect(bound["role"] as? String == "gateway")
            #expect(bound["team_id"] as? String == "team-a")
            let stored = try await catalog.pool.query("SELECT role, tenant_id FROM api_keys WHERE id = \(UUID(uuidString: bound["token"] as! String)!)")
            #expect(try stored.first?.decode(String.self, "role") == "gateway")
            #expect(try stored.first?.decode(String?.self, "tenant_id") == "team-a")

            let teamAdmin = try #require(try await Keys.generate(client, ["role": "tenant_admin", "team_id": "team-a"])["key"] as? String)
            let before = try await Keys.changeCount(catalog)
            for request in [["role": "gateway"], ["role": "gateway", "team_id": "team-a"], ["role": "gateway", "team_id": "team-b"]] {
                let refused = try await client.json("/key/generate", method: .post, headers: Keys.bearer(teamAdmin), body: Keys.body(request))
                Keys.expectError(refused, 403, "a tenant admin asks for \(request)")
                #expect(refused.text.contains("gateway"), "\(refused.text)")
            }
            // Its team's gateway key is an admin's to change: no update, regenerate or delete.
            let token = try #require(bound["token"] as? String)
            Keys.expectError(try await client.json("/key/update", method: .post, headers: Keys.bearer(teamAdmin),
                                                   body: Keys.body(["key": token, "models": ["gpt-4o"]])), 403, "update")
            Keys.expectError(try await client.json("/key/regenerate", method: .post, headers: Keys.bearer(teamAdmin),
                                                   body: Keys.body(["key": token])), 403, "regenerate")
            Keys.expectError(try await client.json("/key/delete", method: .post, headers: Keys.bearer(teamAdmin),
                                                   body: Keys.body(["keys": [token]])), 403, "delete")
            #expect(try await Keys.changeCount(catalog) == before)
            // An admin moves it out of its team: still a gateway key, now shared.
            let moved = try await client.json("/key/update", method: .post, body: Keys.body(["key": token, "team_id": NSNull()]))
            #expect(moved.status == .ok, "\(moved.text)")
            #expect((moved.body as? [String: Any])?["role"] as? String == "gateway")
            #expect((moved.body as? [String: Any])?["team_id"] is NSNull)
        }
        await catalog.close()
    }

    @Test("a gateway key reads /model/info redacted; a bound one never sees another team's models; every write is 403")
    func readsAndRefusals() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            let shared = try #require(try await Keys.generate(client, ["role": "gateway"])["key"] as? String)
            let bound = try #require(try await Keys.generate(client, ["role": "gateway", "team_id": "team-a"])["key"] as? String)

            #expect(try await Keys.modelIDs(client, key: shared) == ["s-gpt", "s-claude", "a-gpt", "a-own", "b-own", "s-secret"])
            #expect(try await Keys.modelIDs(client, key: bound) == ["s-gpt", "s-claude", "a-gpt", "a-own", "s-secret"])
            #expect(try await Keys.modelIDs(client, key: shared + "-not-it").isEmpty)
            for key in [shared, bound] {
                let info = try await client.json("/model/info", headers: Keys.bearer(key))
                #expect(info.status == .ok)
                #expect(!info.text.contains("sk-gateway-test-literal-4711"), "/model/info is redacted for gateway keys too")
                let entries = (info.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                let secretive = entries.first { ($0["model_info"] as? [String: Any])?["id"] as? String == "s-secret" }
                let shown = (secretive?["litellm_params"] as? [String: Any])?["api_key"]
                #expect(secretive != nil && (shown == nil || shown as? String == Redaction.placeholder), "\(String(describing: shown))")
                // ?team_id= opens no other team to a bound key.
                let filtered = try await client.json("/model/info?team_id=team-b", headers: Keys.bearer(key))
                #expect(filtered.text.contains("b-own") == (key == shared), "\(filtered.text)")
                // Another team's model is hidden, exactly as a missing one.
                let other = try await client.json("/model/info?litellm_model_id=b-own", headers: Keys.bearer(key))
                #expect(other.text.contains("b-model") == (key == shared), "\(other.text)")
                let credentials = try await client.json("/credentials", headers: Keys.bearer(key))
                #expect(credentials.status == .ok)
                #expect(!credentials.text.contains("sk-cred-value-1"))
            }

            let before = try await Keys.changeCount(catalog)
            let writes: [(String, HTTPRequest.Method, String)] = [
                ("/model/new", .post, Keys.model(nil, "gpt-4o")),
                ("/model/new", .post, Keys.model(nil, "a-model", team: "team-a")),
                ("/model/update", .post, Keys.body(["model_info": ["id": "s-gpt"], "litellm_params": ["rpm": 5]])),
                ("/model/update", .post, Keys.body(["model_info": ["id": "a-own"], "litellm_params": ["rpm": 5]])),
                ("/model/delete", .post, Keys.body(["id": "a-own"])),
                ("/model/block", .post, Keys.body(["model_id": "s-gpt"])),
                ("/credentials", .post, #"{"credential_name":"mine","credential_info":{"description":"x"},"credential_values":{"api_key":"sk-x-123"}}"#),
                ("/credentials/openai-prod", .patch, #"{"credential_values":{"api_key":"sk-y-123"}}"#),
                ("/credentials/openai-prod", .delete, "{}"),
                ("/key/generate", .post, "{}"),
                ("/key/generate", .post, Keys.body(["role": "gateway"])),
                ("/team/new", .post, Keys.body(["team_id": "team-c"])),
                ("/team/delete", .post, Keys.body(["team_ids": ["team-a"]])),
                ("/reload/model_cost_map", .post, "{}"),
            ]
            for key in [shared, bound] {
                for (path, method, body) in writes {
                    Keys.expectError(try await client.json(path, method: method, headers: Keys.bearer(key), body: body), 403,
                                     "\(method) \(path) by a \(key == shared ? "shared" : "bound") gateway key")
                }
                // It reads itself, and lists no other key.
                #expect(try await client.json("/key/info", headers: Keys.bearer(key)).status == .ok)
                let listed = (try await client.json("/key/list", headers: Keys.bearer(key)).body as? [String: Any])?["keys"] as? [Any]
                #expect(listed?.count == 1)
            }
            #expect(try await Keys.changeCount(catalog) == before)
        }
        await catalog.close()
    }
}
