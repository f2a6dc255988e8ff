import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Issue 12's team routes: /team/update, /team/model/add, /team/model/delete, /v2/team/list, and a
/// team's allow-list narrowing every key of the team.
@Suite("Teams as LiteLLM has them")
struct TeamEndpointTests {
    typealias K = KeyEndpointTests

    static func team(_ client: any TestClientProtocol, _ id: String) async throws -> [String: Any] {
        ((try await client.json("/team/info?team_id=\(id)").body as? [String: Any])?["team_info"] as? [String: Any]) ?? [:]
    }

    @Test("/team/update sets alias, metadata (secrets redacted) and models; a team's list narrows its keys")
    func update() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            try await K.seed(client)
            let member = try await K.generate(client, ["team_id": "team-a"])["key"] as! String
            let listed = try await K.generate(client, ["team_id": "team-a", "models": ["gpt-4o", "a-model"]])["key"] as! String
            let admin = try await K.generate(client, ["team_id": "team-a", "role": "tenant_admin"])["key"] as! String
            let secret = "sk-team-secret-0123456789"
            let updated = try await client.json("/team/update", method: .post, body: K.body([
                "team_id": "team-a", "team_alias": "Team A", "metadata": ["owner": "ops", "webhook_token": secret, "api_key": secret + "-dropped"], "models": ["a-model", "claude"],
            ]))
            #expect(updated.status == .ok, "\(updated.text)")
            let reply = updated.body as? [String: Any] ?? [:]
            let data = reply["data"] as? [String: Any] ?? [:]
            #expect(reply["team_id"] as? String == "team-a" && data["team_alias"] as? String == "Team A")
            #expect(data["models"] as? [String] == ["a-model", "claude"])
            #expect((data["metadata"] as? [String: Any])?["webhook_token"] as? String == "********")
            #expect((data["metadata"] as? [String: Any])?["api_key"] == nil, "dropped, as LiteLLM drops it")
            #expect(!updated.text.contains(secret))
            let info = try await client.json("/team/info?team_id=team-a")
            #expect(!info.text.contains(secret) && info.text.contains("********"))
            let sealed = try await TenantRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "team-a")
            #expect(sealed.values.contains(.string(secret)) && sealed.values.contains(.string(secret + "-dropped")))

            // The team's list, on top of each key's.
            #expect(try await K.modelIDs(client, key: member) == ["s-claude", "a-own"])
            #expect(try await K.modelIDs(client, key: listed) == ["a-own"])
            // Writes too: its tenant admin creates only names both lists allow.
            K.expectError(try await client.json("/model/new", method: .post, headers: K.bearer(admin), body: K.model(nil, "gpt-4o")), 403, "create outside")
            let made = try await client.json("/model/new", method: .post, headers: K.bearer(admin), body: K.model(nil, "claude"))
            #expect(made.status == .ok, "\(made.text)")
            let madeID = try #require(((made.body as? [String: Any])?["model_info"] as? [String: Any])?["id"] as? String)
            // A team key whose team list hides some of its team's models cannot choose an id.
            K.expectError(try await client.json("/model/new", method: .post, headers: K.bearer(admin), body: K.model("team:team-a:x", "claude")), 400, "chosen id")
            // Echoing the placeholder keeps the secret; alias alone leaves the rest.
            let echoed = try await client.json("/team/update", method: .post, body: K.body([
                "team_id": "team-a", "metadata": ["owner": "ops", "webhook_token": "********"],
            ]))
            #expect(echoed.status == .ok, "\(echoed.text)")
            let kept = try await TenantRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "team-a").values
            #expect(kept.contains(.string(secret)) && kept.contains(.string(secret + "-dropped")), "the placeholder and the never-shown secret are kept")
            let renamed = try await client.json("/team/update", method: .post, body: K.body(["team_id": "team-a", "team_alias": "A"]))
            #expect(((renamed.body as? [String: Any])?["data"] as? [String: Any])?["models"] as? [String] == ["a-model", "claude"])
            // models: [] lifts the restriction.
            #expect(try await client.json("/team/update", method: .post, body: K.body(["team_id": "team-a", "models": []])).status == .ok)
            #expect(try await K.modelIDs(client, key: member) == ["s-gpt", "s-claude", "a-gpt", "a-own", madeID])
            // /team/list shows the lists.
            let teams = try await client.json("/team/list").body as? [[String: Any]] ?? []
            #expect(teams.allSatisfy { $0["models"] is [String] })
        }
        await catalog.close()
    }

    @Test("/team/model/add and /team/model/delete; removing the last name is refused")
    func models() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            try await K.seed(client)
            let member = try await K.generate(client, ["team_id": "team-a"])["key"] as! String
            let added = try await client.json("/team/model/add", method: .post, body: K.body(["team_id": "team-a", "models": ["gpt-4o"]]))
            #expect(added.status == .ok, "\(added.text)")
            #expect((added.body as? [String: Any])?["models"] as? [String] == ["all-proxy-models", "gpt-4o"], "a team without a list keeps every model")
            #expect(try await K.modelIDs(client, key: member).count == 4)
            let removed = try await client.json("/team/model/delete", method: .post, body: K.body(["team_id": "team-a", "models": ["all-proxy-models"]]))
            #expect((removed.body as? [String: Any])?["models"] as? [String] == ["gpt-4o"])
            #expect(try await K.modelIDs(client, key: member) == ["s-gpt", "a-gpt"])
            #expect(try await client.json("/team/model/add", method: .post, body: K.body(["team_id": "team-a", "models": ["a-model", "gpt-4o"]])).status == .ok)
            #expect(try await Self.team(client, "team-a")["models"] as? [String] == ["gpt-4o", "a-model"])
            #expect(try await K.modelIDs(client, key: member) == ["s-gpt", "a-gpt", "a-own"])

            let admin = try await K.generate(client, ["team_id": "team-a", "role": "tenant_admin"])["key"] as! String
            let before = try await K.changeCount(catalog)
            let refusals: [(String, HTTPFields, [String: Any], Int)] = [
                ("/team/model/delete", adminHeaders, ["team_id": "team-a", "models": ["gpt-4o", "a-model"]], 400),
                ("/team/model/add", adminHeaders, ["team_id": "team-a", "models": []], 400),
                ("/team/model/add", adminHeaders, ["team_id": "team-a", "models": "gpt-4o"], 400),
                ("/team/model/add", adminHeaders, ["team_id": "team-a", "models": ["openai/*"]], 400),
                ("/team/model/add", adminHeaders, ["models": ["gpt-4o"]], 400),
                ("/team/model/add", adminHeaders, ["team_id": "no-such-team", "models": ["gpt-4o"]], 404),
                ("/team/model/add", K.bearer(admin), ["team_id": "team-a", "models": ["claude"]], 403),
                ("/team/model/delete", K.bearer(member), ["team_id": "team-a", "models": ["gpt-4o"]], 403),
                ("/team/update", K.bearer(admin), ["team_id": "team-a", "models": []], 403),
                ("/team/update", adminHeaders, ["team_alias": "x"], 400),
                ("/team/update", adminHeaders, ["team_id": "no-such-team", "team_alias": "x"], 404),
                ("/team/update", adminHeaders, ["team_id": "team-a", "models": [1]], 400),
                ("/team/update", adminHeaders, ["team_id": "team-a", "metadata": "x"], 400),
                ("/team/update", adminHeaders, ["team_id": "team-a", "team_alias": 5], 400),
            ]
            for (uri, headers, request, status) in refusals {
                K.expectError(try await client.json(uri, method: .post, headers: headers, body: K.body(request)), status, "\(uri) \(request)")
            }
            #expect(try await K.changeCount(catalog) == before)
            #expect(try await Self.team(client, "team-a")["models"] as? [String] == ["gpt-4o", "a-model"])
        }
        await catalog.close()
    }

    @Test("/v2/team/list pages, filters and sorts the teams the caller may see")
    func listPage() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            for (id, alias) in [("t-1", "Alpha"), ("t-2", "beta"), ("t-3", "Alphabet")] {
                #expect(try await client.json("/team/new", method: .post, body: K.body(["team_id": id, "team_alias": alias])).status == .ok)
            }
            let first = try await client.json("/v2/team/list?page=1&page_size=2&sort_by=team_id&sort_order=desc")
            let body = first.body as? [String: Any] ?? [:]
            #expect(body["total"] as? Int == 3 && body["page"] as? Int == 1 && body["page_size"] as? Int == 2 && body["total_pages"] as? Int == 2)
            #expect((body["teams"] as? [[String: Any]])?.map { $0["team_id"] as? String } == ["t-3", "t-2"])
            let second = try await client.json("/v2/team/list?page=2&page_size=2&sort_by=team_id&sort_order=desc")
            #expect(((second.body as? [String: Any])?["teams"] as? [[String: Any]])?.map { $0["team_id"] as? String } == ["t-1"])
            let byAlias = try await client.json("/v2/team/list?team_alias=alpha")
            #expect(((byAlias.body as? [String: Any])?["teams"] as? [[String: Any]])?.map { $0["team_id"] as? String } == ["t-1", "t-3"])
            let byID = try await client.json("/v2/team/list?team_id=t-2")
            #expect((byID.body as? [String: Any])?["total"] as? Int == 1)
            let member = try await K.generate(client, ["team_id": "t-2"])["key"] as! String
            let own = try await client.json("/v2/team/list", headers: K.bearer(member))
            #expect(((own.body as? [String: Any])?["teams"] as? [[String: Any]])?.map { $0["team_id"] as? String } == ["t-2"])
            for bad in ["page=0", "page_size=101", "page_size=x", "sort_order=up"] {
                K.expectError(try await client.json("/v2/team/list?\(bad)"), 400, bad)
            }
        }
        await catalog.close()
    }
}
