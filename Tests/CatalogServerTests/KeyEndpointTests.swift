import Catalog
import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Issue 12's key routes: personal keys, /key/list, /key/update, /key/regenerate, /key/info and
/// delete by alias, in LiteLLM's shapes, against a real PostgreSQL.
@Suite("Keys as LiteLLM has them")
struct KeyEndpointTests {
    static func body(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static func bearer(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

    /// A /model/new body; `id` nil: a generated one (a key whose team list hides models may not choose one).
    static func model(_ id: String?, _ name: String, team: String? = nil) -> String {
        var info: [String: Any] = [:]
        if let id { info["id"] = id }
        if let team { info["team_id"] = team }
        return body(["model_name": name, "litellm_params": ["model": "openai/\(name)"], "model_info": info])
    }

    /// Two teams, shared models gpt-4o and claude, a team model in each.
    static func seed(_ client: any TestClientProtocol) async throws {
        for team in ["team-a", "team-b"] {
            #expect(try await client.json("/team/new", method: .post, body: body(["team_id": team])).status == .ok)
        }
        for (id, name, team) in [("s-gpt", "gpt-4o", nil), ("s-claude", "claude", nil), ("a-gpt", "gpt-4o", "team-a"),
                                 ("a-own", "a-model", "team-a"), ("b-own", "b-model", "team-b")] as [(String, String, String?)] {
            #expect(try await client.json("/model/new", method: .post, body: model(id, name, team: team)).status == .ok)
        }
    }

    static func generate(_ client: any TestClientProtocol, _ request: [String: Any], headers: HTTPFields = adminHeaders) async throws -> [String: Any] {
        let response = try await client.json("/key/generate", method: .post, headers: headers, body: body(request))
        #expect(response.status == .ok, "\(request): \(response.text)")
        return response.body as? [String: Any] ?? [:]
    }

    static func modelIDs(_ client: any TestClientProtocol, key: String) async throws -> Set<String> {
        let data = (try await client.json("/model/info", headers: bearer(key)).body as? [String: Any])?["data"] as? [[String: Any]] ?? []
        return Set(data.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String })
    }

    static func expectError(_ response: (status: HTTPResponse.Status, body: Any?, text: String), _ status: Int, _ label: String) {
        #expect(Int(response.status.code) == status, "\(label): \(response.text)")
        let error = (response.body as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["message"] is String && error?["type"] is String && error?["code"] is String && error?.keys.contains("param") == true,
                "\(label): \(response.text)")
    }

    static func changeCount(_ catalog: TestCatalog) async throws -> Int {
        try await catalog.pool.query("SELECT count(*) AS n FROM changes")[0].decode(Int.self, "n")
    }

    @Test("a bare /key/generate is a personal key: shared models only, narrowed by its list, no writes (403)")
    func personalKey() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            let key = try await Self.generate(client, ["models": ["claude", "a-model"], "key_alias": "alice", "duration": "30d",
                                                       "aliases": ["fast": "claude"]])
            #expect(key["role"] as? String == "personal")
            #expect(key["team_id"] is NSNull)
            #expect(key["aliases"] as? [String: String] == ["fast": "claude"])
            #expect(key["expires"] is String)
            let text = try #require(key["key"] as? String)
            #expect(try await Self.modelIDs(client, key: text) == ["s-claude"], "a team's model named in the list stays hidden")
            let open = try await Self.generate(client, [:])
            let openText = try #require(open["key"] as? String)
            #expect(open["role"] as? String == "personal")
            #expect(try await Self.modelIDs(client, key: openText) == ["s-gpt", "s-claude"])

            let before = try await Self.changeCount(catalog)
            Self.expectError(try await client.json("/model/new", method: .post, headers: Self.bearer(openText), body: Self.model("p-new", "gpt-4o")), 403, "create")
            Self.expectError(try await client.json("/model/update", method: .post, headers: Self.bearer(openText),
                                                   body: Self.body(["model_info": ["id": "s-gpt"], "litellm_params": ["rpm": 5]])), 403, "update")
            Self.expectError(try await client.json("/model/delete", method: .post, headers: Self.bearer(openText), body: Self.body(["id": "s-gpt"])), 403, "delete")
            Self.expectError(try await client.json("/key/generate", method: .post, headers: Self.bearer(openText), body: "{}"), 403, "mint")
            Self.expectError(try await client.json("/team/info?team_id=team-a", headers: Self.bearer(openText)), 404, "team")
            #expect(try await Self.changeCount(catalog) == before)
            // It reads itself, by text or without naming itself.
            let info = try await client.json("/key/info", headers: Self.bearer(text))
            #expect(info.status == .ok)
            #expect((info.body as? [String: Any])?["key"] as? String == key["token"] as? String)
            #expect(((info.body as? [String: Any])?["info"] as? [String: Any])?["aliases"] as? [String: String] == ["fast": "claude"])
            // An admin key still needs the role.
            #expect(try await Self.generate(client, ["role": "admin"])["role"] as? String == "admin")
        }
        await catalog.close()
    }

    @Test("/key/list pages tokens or full objects, filters by team and alias, shows each caller its keys, never a key's text")
    func list() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            var texts: [String] = []
            var tokensA: [String] = []
            for index in 0..<3 {
                let key = try await Self.generate(client, ["team_id": "team-a", "key_alias": "a-\(index)"])
                texts.append(key["key"] as! String)
                tokensA.append(key["token"] as! String)
            }
            let teamAdmin = try await Self.generate(client, ["team_id": "team-a", "role": "tenant_admin"])
            tokensA.append(teamAdmin["token"] as! String)
            texts.append(teamAdmin["key"] as! String)
            let other = try await Self.generate(client, ["team_id": "team-b", "aliases": ["x": "b-model"]])
            texts.append(other["key"] as! String)
            let personal = try await Self.generate(client, ["key_alias": "solo"])
            texts.append(personal["key"] as! String)

            let all = try await client.json("/key/list")
            #expect(all.status == .ok)
            let page = all.body as? [String: Any] ?? [:]
            #expect(page["total_count"] as? Int == 6 && page["current_page"] as? Int == 1 && page["total_pages"] as? Int == 1)
            #expect((page["keys"] as? [String])?.count == 6, "tokens without return_full_object")
            let full = try await client.json("/key/list?return_full_object=true&size=4&page=2")
            let fullPage = full.body as? [String: Any] ?? [:]
            let objects = fullPage["keys"] as? [[String: Any]] ?? []
            #expect(objects.count == 2 && fullPage["total_pages"] as? Int == 2)
            #expect(objects.allSatisfy { $0["key"] == nil && $0["token"] is String })
            #expect(objects.contains { $0["aliases"] as? [String: String] == ["x": "b-model"] })
            let byTeam = try await client.json("/key/list?team_id=team-a&return_full_object=false")
            #expect(Set((byTeam.body as? [String: Any])?["keys"] as? [String] ?? []) == Set(tokensA))
            let byAlias = try await client.json("/key/list?key_alias=solo&return_full_object=true")
            #expect(((byAlias.body as? [String: Any])?["keys"] as? [[String: Any]])?.map { $0["token"] as? String } == [personal["token"] as? String])
            // A tenant admin sees its team's keys; a member only itself; nobody another team's.
            let asTeamAdmin = try await client.json("/key/list", headers: Self.bearer(teamAdmin["key"] as! String))
            #expect(Set((asTeamAdmin.body as? [String: Any])?["keys"] as? [String] ?? []) == Set(tokensA))
            let asMember = try await client.json("/key/list?team_id=team-b", headers: Self.bearer(texts[0]))
            #expect((asMember.body as? [String: Any])?["total_count"] as? Int == 0)
            let asSelf = try await client.json("/key/list", headers: Self.bearer(texts[0]))
            #expect((asSelf.body as? [String: Any])?["keys"] as? [String] == [tokensA[0]])
            for response in [all, full, byTeam, byAlias, asTeamAdmin, asMember, asSelf] {
                for text in texts { #expect(!response.text.contains(text), "a key's text in a listing") }
            }
            // No key text is stored either.
            let stored = try await catalog.pool.query("SELECT string_agg(to_jsonb(k)::text, ' ') AS rows FROM api_keys k")[0].decode(String.self, "rows")
            for text in texts { #expect(!stored.contains(text)) }
            for bad in ["page=0", "size=101", "size=x", "return_full_object=maybe"] {
                Self.expectError(try await client.json("/key/list?\(bad)"), 400, bad)
            }
        }
        await catalog.close()
    }

    @Test("/key/update changes alias, models, aliases and expiry; bounded by the policy; bad input changes nothing")
    func update() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            let teamAdmin = try await Self.generate(client, ["team_id": "team-a", "role": "tenant_admin", "models": ["gpt-4o", "a-model"]])
            let adminText = teamAdmin["key"] as! String
            let member = try await Self.generate(client, ["team_id": "team-a", "key_alias": "m"])
            let token = member["token"] as! String
            let memberText = member["key"] as! String
            #expect(try await Self.modelIDs(client, key: memberText) == ["s-gpt", "s-claude", "a-gpt", "a-own"])

            let updated = try await client.json("/key/update", method: .post, body: Self.body([
                "key": memberText, "models": ["a-model"], "key_alias": "renamed", "aliases": ["mine": "a-model"], "duration": "1h",
            ]))
            #expect(updated.status == .ok, "\(updated.text)")
            let reply = updated.body as? [String: Any] ?? [:]
            #expect(reply["key"] as? String == token && reply["key_alias"] as? String == "renamed")
            #expect(reply["models"] as? [String] == ["a-model"] && reply["aliases"] as? [String: String] == ["mine": "a-model"])
            #expect(reply["expires"] is String && reply["updated_at"] is String)
            #expect(!updated.text.contains(memberText))
            #expect(try await Self.modelIDs(client, key: memberText) == ["a-own"], "the new list binds at once")
            // Named by its alias; null clears.
            let cleared = try await client.json("/key/update", method: .post, body: Self.body(["key_alias": "renamed", "models": NSNull(), "duration": NSNull()]))
            #expect(cleared.status == .ok, "\(cleared.text)")
            #expect((cleared.body as? [String: Any])?["models"] as? [String] == [] && (cleared.body as? [String: Any])?["expires"] is NSNull)
            #expect((cleared.body as? [String: Any])?["key_alias"] as? String == "renamed")
            // A tenant admin updates its team's keys within its own list; it moves none.
            let byTeamAdmin = try await client.json("/key/update", method: .post, headers: Self.bearer(adminText),
                                                    body: Self.body(["key": token, "models": ["gpt-4o"]]))
            #expect(byTeamAdmin.status == .ok, "\(byTeamAdmin.text)")

            let before = try await Self.changeCount(catalog)
            let info = try await client.json("/key/info?key=\(token)").text
            let refusals: [(HTTPFields, [String: Any], Int)] = [
                (Self.bearer(adminText), ["key": token, "team_id": "team-b"], 403),
                (Self.bearer(adminText), ["key": token, "team_id": NSNull()], 403),
                (Self.bearer(adminText), ["key": token, "models": ["claude"]], 403),
                (Self.bearer(adminText), ["key": token, "models": NSNull()], 403),
                (Self.bearer(memberText), ["key": token, "key_alias": "self"], 403),
                (adminHeaders, ["key": token, "models": ["openai/*"]], 400),
                (adminHeaders, ["key": token, "models": "gpt-4o"], 400),
                (adminHeaders, ["key": token, "duration": "forever"], 400),
                (adminHeaders, ["key": token, "expires": "next tuesday"], 400),
                (adminHeaders, ["key": token, "duration": "1h", "expires": "2030-01-01T00:00:00Z"], 400),
                (adminHeaders, ["key": token, "aliases": ["a": 1]], 400),
                (adminHeaders, ["key": token, "aliases": ["": "x"]], 400),
                (adminHeaders, ["key": token, "team_id": "no-such-team"], 404),
                (adminHeaders, ["models": ["gpt-4o"]], 400),
                (adminHeaders, ["key": "sk-unknown", "models": ["gpt-4o"]], 404),
                (adminHeaders, ["key_alias": "no-such-alias", "models": ["gpt-4o"]], 404),
            ]
            for (headers, request, status) in refusals {
                Self.expectError(try await client.json("/key/update", method: .post, headers: headers, body: Self.body(request)), status, "\(request)")
            }
            #expect(try await Self.changeCount(catalog) == before)
            #expect(try await client.json("/key/info?key=\(token)").text == info)
            // An admin moves it; out of every team it is personal.
            let moved = try await client.json("/key/update", method: .post, body: Self.body(["key": token, "team_id": "team-b"]))
            #expect((moved.body as? [String: Any])?["team_id"] as? String == "team-b")
            let out = try await client.json("/key/update", method: .post, body: Self.body(["key": token, "team_id": NSNull()]))
            #expect((out.body as? [String: Any])?["role"] as? String == "personal")
            #expect(try await Self.modelIDs(client, key: memberText) == ["s-gpt"])
        }
        await catalog.close()
    }

    @Test("/key/regenerate: the new text works, the old is refused at once; path form; bad input changes nothing")
    func regenerate() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            try await Self.seed(client)
            let key = try await Self.generate(client, ["team_id": "team-a", "key_alias": "r"])
            let old = key["key"] as! String
            let token = key["token"] as! String
            let regenerated = try await client.json("/key/regenerate", method: .post, body: Self.body(["key": old, "models": ["gpt-4o"]]))
            #expect(regenerated.status == .ok, "\(regenerated.text)")
            let reply = regenerated.body as? [String: Any] ?? [:]
            let new = try #require(reply["key"] as? String)
            #expect(new != old && new.hasPrefix("sk-") && reply["token_id"] as? String == token && reply["models"] as? [String] == ["gpt-4o"])
            #expect(try await client.json("/model/info", headers: Self.bearer(old)).status == .unauthorized)
            #expect(try await Self.modelIDs(client, key: new) == ["s-gpt", "a-gpt"])
            // LiteLLM's path form, with no body, by token.
            let byPath = try await client.json("/key/\(token)/regenerate", method: .post)
            #expect(byPath.status == .ok, "\(byPath.text)")
            let newer = try #require((byPath.body as? [String: Any])?["key"] as? String)
            #expect(try await client.json("/model/info", headers: Self.bearer(new)).status == .unauthorized)
            #expect(try await client.json("/model/info", headers: Self.bearer(newer)).status == .ok)
            // A chosen text.
            let chosen = "sk-chosen-0123456789"
            #expect(try await client.json("/key/regenerate", method: .post, body: Self.body(["key": token, "new_key": chosen])).status == .ok)
            #expect(try await client.json("/model/info", headers: Self.bearer(chosen)).status == .ok)

            let before = try await Self.changeCount(catalog)
            let member = try await Self.generate(client, ["team_id": "team-b"])
            let afterMint = try await Self.changeCount(catalog)
            #expect(afterMint > before)
            let refusals: [(String, HTTPFields, String?, Int)] = [
                ("/key/regenerate", adminHeaders, Self.body([:]), 400),
                ("/key/regenerate", adminHeaders, Self.body(["key": token, "grace_period": "24h"]), 400),
                ("/key/regenerate", adminHeaders, Self.body(["key": token, "new_key": "short"]), 400),
                ("/key/regenerate", adminHeaders, Self.body(["key": token, "new_master_key": "sk-new-master-000"]), 400),
                ("/key/regenerate", adminHeaders, Self.body(["key": "sk-unknown"]), 404),
                ("/key/regenerate", adminHeaders, "{", 400),
                ("/key/\(token)/regenerate", Self.bearer(member["key"] as! String), nil, 404),
                ("/key/\(token)/regenerate", adminHeaders, Self.body(["models": ["openai/*"]]), 400),
            ]
            for (uri, headers, request, status) in refusals {
                Self.expectError(try await client.json(uri, method: .post, headers: headers, body: request), status, "\(uri) \(request ?? "")")
            }
            #expect(try await Self.changeCount(catalog) == afterMint)
            #expect(try await client.json("/model/info", headers: Self.bearer(chosen)).status == .ok)
        }
        await catalog.close()
    }

    @Test("/key/delete takes key_aliases; /key/info keeps {key, info}")
    func deleteByAlias() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            try await Self.seed(client)
            let key = try await Self.generate(client, ["team_id": "team-a", "key_alias": "gone"])
            let info = try await client.json("/key/info?key=\(key["token"] as! String)")
            let body = info.body as? [String: Any] ?? [:]
            #expect(body["key"] as? String == key["token"] as? String)
            #expect((body["info"] as? [String: Any])?["key_alias"] as? String == "gone")
            // The master key has no record: asked about itself it says what it is, and shows no text.
            let master = try await client.json("/key/info")
            #expect(master.status == .ok)
            #expect((master.body as? [String: Any])?["key"] is NSNull)
            #expect(((master.body as? [String: Any])?["info"] as? [String: Any])?["role"] as? String == "admin")
            #expect(!master.text.contains(TestCatalog.masterKey))
            _ = try await Self.generate(client, ["team_id": "team-b", "key_alias": "twice"])
            _ = try await Self.generate(client, ["team_id": "team-b", "key_alias": "twice"])
            Self.expectError(try await client.json("/key/delete", method: .post, body: Self.body(["key_aliases": ["twice"]])), 409, "ambiguous")
            Self.expectError(try await client.json("/key/delete", method: .post, body: Self.body(["key_aliases": ["none"]])), 404, "unknown")
            Self.expectError(try await client.json("/key/delete", method: .post, body: Self.body([:])), 400, "empty")
            let deleted = try await client.json("/key/delete", method: .post, body: Self.body(["keys": NSNull(), "key_aliases": ["gone"]]))
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect((deleted.body as? [String: Any])?["deleted_keys"] as? [String] == ["gone"])
            #expect(try await client.json("/model/info", headers: Self.bearer(key["key"] as! String)).status == .unauthorized)
            // Deleted by its text, a key is answered by its token: no response repeats a key's text.
            let other = try await Self.generate(client, ["team_id": "team-a", "key_alias": "by-text"])
            let byText = try await client.json("/key/delete", method: .post, body: Self.body(["keys": [other["key"] as! String]]))
            #expect((byText.body as? [String: Any])?["deleted_keys"] as? [String] == [other["token"] as! String])
            #expect(!byText.text.contains(other["key"] as! String))
        }
        await catalog.close()
    }
}
