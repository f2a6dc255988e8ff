import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing
import TestSupport

/// The routes of issue 12's items 4–6 against a real database: /model/update's top-level id,
/// /model/block and /model/unblock and their effect on every read, /access_group/*, the
/// /v1/models flags, wildcard routes, and router aliases stored in PostgreSQL.
@Suite("Access groups, aliases, wildcards, blocking: the routes")
struct AccessGroupRouteTests {
    static func new(_ id: String, _ name: String, team: String? = nil, groups: [String]? = nil, model: String = "openai/gpt-4o") -> String {
        var info: [String: Any] = ["id": id]
        if let team { info["team_id"] = team }
        if let groups { info["access_groups"] = groups }
        let body: [String: Any] = ["model_name": name, "litellm_params": ["model": model], "model_info": info]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    static func data(_ response: (status: HTTPResponse.Status, body: Any?, text: String)) -> [[String: Any]] {
        (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
    }

    static func ids(_ response: (status: HTTPResponse.Status, body: Any?, text: String)) -> [String] {
        data(response).compactMap { $0["id"] as? String }
    }

    static func headers(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

    /// Makes a team and a key of it; returns the key's text.
    static func key(_ client: any TestClientProtocol, team: String, role: String = "tenant_member", models: [String]? = nil,
                    makeTeam: Bool = true) async throws -> String {
        if makeTeam { _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"\#(team)"}"#) }
        var body: [String: Any] = ["team_id": team, "role": role]
        if let models { body["models"] = models }
        let response = try await client.json("/key/generate", method: .post,
                                             body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        let key = (response.body as? [String: Any])?["key"] as? String
        #expect(key != nil, "\(response.text)")
        return key ?? ""
    }

    @Test("POST /model/update takes LiteLLM's top-level id (client.models.update)")
    func updateTopLevelID() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/model/new", method: .post, body: Self.new("m-1", "m")).status == .ok)
            let updated = try await client.json("/model/update", method: .post, body: #"{"id":"m-1","litellm_params":{"rpm":7}}"#)
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(((updated.body as? [String: Any])?["litellm_params"] as? [String: Any])?["rpm"] as? Int == 7)
            let both = try await client.json("/model/update", method: .post, body: #"{"id":"m-1","model_info":{"id":"m-1","tier":"x"}}"#)
            #expect(both.status == .ok)
            let conflicting = try await client.json("/model/update", method: .post, body: #"{"id":"m-1","model_info":{"id":"m-2"}}"#)
            #expect(conflicting.status == .badRequest)
            #expect(try await client.json("/model/update", method: .post, body: #"{"id":"nope","litellm_params":{"rpm":1}}"#).status == .notFound)
            #expect(try await client.json("/model/update", method: .post, body: #"{"litellm_params":{"rpm":1}}"#).status == .badRequest)
        }
        await catalog.close()
    }

    @Test("block and unblock: /model/info keeps it (blocked: true); /v1/models and /model_group/info leave it out", arguments: [false, true])
    func blocking(replica: Bool) async throws {
        let catalog = try await TestCatalog.make()
        let configuration = catalog.configuration(replica: replica ? ReplicaOptions() : nil)
        try await catalog.withApplication(configuration) { _, client in
            _ = try await client.json("/model/new", method: .post, body: Self.new("g-1", "g"))
            _ = try await client.json("/model/new", method: .post, body: Self.new("g-2", "g"))
            _ = try await client.json("/model/new", method: .post, body: Self.new("h-1", "h"))
            let blocked = try await client.json("/model/block", method: .post, body: #"{"model_id":"h-1"}"#)
            #expect(blocked.status == .ok, "\(blocked.text)")
            #expect((blocked.body as? [String: Any])?["blocked"] as? Bool == true)
            #expect((blocked.body as? [String: Any])?["model_id"] as? String == "h-1")
            _ = try await client.json("/model/block", method: .post, body: #"{"model_id":"g-1"}"#)

            let info = Self.data(try await client.json("/model/info"))
            #expect(info.count == 3)
            let flags = Dictionary(uniqueKeysWithValues: info.map {
                (($0["model_info"] as? [String: Any])?["id"] as? String ?? "", ($0["model_info"] as? [String: Any])?["blocked"] as? Bool)
            })
            #expect(flags["h-1"] == true && flags["g-1"] == true && (flags["g-2"] ?? nil) == nil)
            #expect(Self.data(try await client.json("/v1/model/info")).count == 3)
            #expect((try await client.json("/v2/model/info").body as? [String: Any])?["total_count"] as? Int == 3)
            #expect(Self.ids(try await client.json("/v1/models")) == ["g"])
            #expect(Self.ids(try await client.json("/models")) == ["g"])
            #expect(try await client.json("/v1/models/h").status == .notFound)
            #expect(try await client.json("/models/h").status == .notFound)
            #expect(try await client.json("/v1/models/g").status == .ok)
            let groups = Self.data(try await client.json("/model_group/info")).compactMap { $0["model_group"] as? String }
            #expect(groups == ["g"])
            #expect(try await client.json("/model_group/info?model_group=h").status == .notFound)

            let unblocked = try await client.json("/model/unblock", method: .post, body: #"{"model_id":"h-1"}"#)
            #expect((unblocked.body as? [String: Any])?["blocked"] as? Bool == false)
            #expect(Self.ids(try await client.json("/v1/models")) == ["g", "h"])
            #expect(try await client.json("/model/block", method: .post, body: #"{"model_id":"nope"}"#).status == .notFound)
            #expect(try await client.json("/model/block", method: .post, body: #"{}"#).status == .badRequest)
        }
        await catalog.close()
    }

    @Test("who may block: the rule for changing the model")
    func blockPolicy() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let member = try await Self.key(client, team: "A")
            let adminA = try await Self.key(client, team: "A", role: "tenant_admin", makeTeam: false)
            let adminB = try await Self.key(client, team: "B", role: "tenant_admin")
            _ = try await client.json("/model/new", method: .post, body: Self.new("team:A:m", "a-m", team: "A"))
            _ = try await client.json("/model/new", method: .post, body: Self.new("shared", "s"))
            let body = #"{"model_id":"team:A:m"}"#
            #expect(try await client.json("/model/block", method: .post, headers: Self.headers(member), body: body).status == .forbidden)
            #expect(try await client.json("/model/block", method: .post, headers: Self.headers(adminB), body: body).status == .notFound)
            #expect(try await client.json("/model/block", method: .post, headers: Self.headers(adminA), body: #"{"model_id":"shared"}"#).status == .forbidden)
            #expect(try await client.json("/model/block", method: .post, headers: Self.headers(adminA), body: body).status == .ok)
            #expect(try await client.json("/model/unblock", method: .post, headers: Self.headers(adminA), body: body).status == .ok)
        }
        await catalog.close()
    }

    @Test("/access_group/new, list, info, update, delete in LiteLLM's shapes; a key granted a group sees exactly it")
    func accessGroupRoutes() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            for (id, name) in [("p-1", "gpt-4o"), ("p-2", "gpt-4o"), ("c-1", "claude"), ("o-1", "other")] {
                _ = try await client.json("/model/new", method: .post, body: Self.new(id, name))
            }
            let granted = try await Self.key(client, team: "A", models: ["prod"])
            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(granted))).isEmpty, "an empty group grants nothing")

            let made = try await client.json("/access_group/new", method: .post, body: #"{"access_group":"prod","model_names":["gpt-4o"]}"#)
            #expect(made.status == .ok, "\(made.text)")
            let madeBody = made.body as? [String: Any]
            #expect(madeBody?["models_updated"] as? Int == 2 && madeBody?["access_group"] as? String == "prod")
            #expect(madeBody?["model_names"] as? [String] == ["gpt-4o"])
            #expect(try await client.json("/access_group/new", method: .post, body: #"{"access_group":"prod","model_names":["claude"]}"#).status == .conflict)
            #expect(try await client.json("/access_group/new", method: .post, body: #"{"access_group":"x","model_names":["nope"]}"#).status == .badRequest)
            #expect(try await client.json("/access_group/new", method: .post, body: #"{"access_group":"x"}"#).status == .badRequest)
            #expect(try await client.json("/access_group/new", method: .post, body: #"{"access_group":"*","model_names":["claude"]}"#).status == .badRequest)

            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(granted))) == ["gpt-4o"])
            let info = try await client.json("/access_group/prod/info")
            #expect(info.status == .ok)
            let infoBody = info.body as? [String: Any]
            #expect(infoBody?["deployment_count"] as? Int == 2 && infoBody?["model_names"] as? [String] == ["gpt-4o"])
            let list = (try await client.json("/access_group/list").body as? [String: Any])?["access_groups"] as? [[String: Any]]
            #expect(list?.compactMap { $0["access_group"] as? String } == ["prod"])

            let updated = try await client.json("/access_group/prod/update", method: .put, body: #"{"model_ids":["p-1","c-1"]}"#)
            #expect(updated.status == .ok, "\(updated.text)")
            #expect((updated.body as? [String: Any])?["models_updated"] as? Int == 2, "p-2 untagged, c-1 tagged")
            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(granted))) == ["gpt-4o", "claude"])
            let infoAfter = try await client.json("/model/info?litellm_model_id=c-1")
            #expect(((Self.data(infoAfter).first?["model_info"] as? [String: Any])?["access_groups"] as? [String]) == ["prod"])

            #expect(try await client.json("/access_group/nope/info").status == .notFound)
            #expect(try await client.json("/access_group/nope/update", method: .put, body: #"{"model_names":["claude"]}"#).status == .notFound)
            let deleted = try await client.json("/access_group/prod/delete", method: .delete)
            #expect(deleted.status == .ok)
            #expect((deleted.body as? [String: Any])?["models_updated"] as? Int == 2)
            #expect(try await client.json("/access_group/prod/info").status == .notFound)
            #expect(try await client.json("/access_group/prod/delete", method: .delete).status == .notFound)
            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(granted))).isEmpty, "a deleted group grants nothing")
            // A plain-SQL tag reaches the replica's snapshot, and the key's cached answer follows it.
            try await catalog.pool.query("""
                UPDATE models SET model_info = model_info || '{"access_groups":["prod"]}'::jsonb WHERE id = \("o-1")
                """)
            try await eventually("the SQL-tagged model is granted") {
                Self.ids(try await client.json("/v1/models", headers: Self.headers(granted))) == ["other"]
            }
        }
        await catalog.close()
    }

    @Test("/v1/models?include_model_access_groups, only_model_access_groups, return_wildcard_routes")
    func listingFlags() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            _ = try await client.json("/model/new", method: .post, body: Self.new("p-1", "gpt-4o", groups: ["prod"]))
            _ = try await client.json("/model/new", method: .post, body: Self.new("c-1", "claude", groups: ["beta"]))
            _ = try await client.json("/model/new", method: .post, body: Self.new("w-1", "anthropic/*", model: "anthropic/*"))
            let plain = Self.ids(try await client.json("/v1/models"))
            #expect(plain.prefix(2) == ["gpt-4o", "claude"])
            #expect(!plain.contains("anthropic/*") && !plain.contains("prod"))
            let expanded = plain.dropFirst(2)
            #expect(!expanded.isEmpty && expanded.allSatisfy { $0.hasPrefix("anthropic/") }, "the cost map's anthropic models")
            #expect(expanded.contains { $0.contains("claude") })
            let first = try #require(expanded.first)
            #expect(try await client.json("/v1/models/\(first)").status == .ok)

            #expect(Self.ids(try await client.json("/v1/models?include_model_access_groups=true")).suffix(2) == ["prod", "beta"])
            #expect(Self.ids(try await client.json("/v1/models?only_model_access_groups=true")) == ["prod", "beta"])
            #expect(Self.ids(try await client.json("/v1/models?return_wildcard_routes=true")).contains("anthropic/*"))
            #expect(try await client.json("/v1/models?return_wildcard_routes=maybe").status == .badRequest)

            // A key with ["prod", one anthropic model]: its group and that model, nothing else.
            let key = try await Self.key(client, team: "A", models: ["prod", first])
            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(key))) == ["gpt-4o", first])
            #expect(Self.ids(try await client.json("/v1/models?only_model_access_groups=true", headers: Self.headers(key))) == ["prod"])
            #expect(Self.ids(try await client.json("/v1/models?return_wildcard_routes=true", headers: Self.headers(key))) == ["gpt-4o", first])
        }
        await catalog.close()
    }

    static func aliasConfiguration(_ catalog: TestCatalog, aliases: [ModelGroupAlias]?, replica: ReplicaOptions? = ReplicaOptions()) -> CatalogConfiguration {
        var configuration = catalog.configuration(replica: replica)
        configuration.aliases = aliases
        return configuration
    }

    @Test("config aliases are stored: listed (not hidden ones), resolved, kept across a restart, seen by a second replica")
    func configAliases() async throws {
        let catalog = try await TestCatalog.make()
        let aliases = [ModelGroupAlias(alias: "fast", modelGroup: "gpt-4o-mini"),
                       ModelGroupAlias(alias: "quiet", modelGroup: "gpt-4o", hidden: true),
                       ModelGroupAlias(alias: "theirs", modelGroup: "b-model")]
        try await catalog.withApplication(Self.aliasConfiguration(catalog, aliases: aliases)) { _, client in
            _ = try await client.json("/model/new", method: .post, body: Self.new("mini", "gpt-4o-mini"))
            _ = try await client.json("/model/new", method: .post, body: Self.new("big", "gpt-4o"))
            _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"B"}"#)
            _ = try await client.json("/model/new", method: .post, body: Self.new("team:B:m", "b-model", team: "B"))
            #expect(Self.ids(try await client.json("/v1/models")) == ["gpt-4o-mini", "gpt-4o", "b-model", "fast", "theirs"])
            let fast = try await client.json("/v1/models/fast")
            #expect(fast.status == .ok && (fast.body as? [String: Any])?["id"] as? String == "fast")
            #expect(try await client.json("/v1/models/quiet").status == .notFound)
            // Team A's key sees no b-model, so no alias of it.
            let keyA = try await Self.key(client, team: "A")
            #expect(Self.ids(try await client.json("/v1/models", headers: Self.headers(keyA))) == ["gpt-4o-mini", "gpt-4o", "fast"])
            #expect(try await client.json("/v1/models/theirs", headers: Self.headers(keyA)).status == .notFound)
        }
        let stored = try await catalog.pool.query("SELECT alias, source FROM model_group_aliases ORDER BY alias")
        #expect(try stored.map { try $0.decode(String.self, "alias") } == ["fast", "quiet", "theirs"])
        #expect(try stored.allSatisfy { try $0.decode(String.self, "source") == "config" })

        // A restart without a config keeps them; the cache-less path agrees byte for byte.
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "alias-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "alias-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                let listed = try await clientA.json("/v1/models")
                #expect(Self.ids(listed) == ["gpt-4o-mini", "gpt-4o", "b-model", "fast", "theirs"])
                let listedText = listed.text
                try await catalog.withClient { direct in
                    let queried = try await direct.json("/v1/models").text
                    #expect(queried == listedText)
                }
                // A plain-SQL alias reaches both replicas through the change log.
                try await catalog.pool.query("INSERT INTO model_group_aliases (alias, model_group) VALUES (\("sql-alias"), \("gpt-4o"))")
                for client in [clientA, clientB] {
                    try await eventually("the SQL alias is listed") { Self.ids(try await client.json("/v1/models")).contains("sql-alias") }
                }
                // A config without the section removes the config's aliases, not the SQL one.
                let database = catalog.database()
                try await database.aliases.loadConfig([ModelGroupAlias(alias: "fast", modelGroup: "gpt-4o")])
                await database.close()
                try await eventually("B follows the new config aliases") {
                    let ids = Self.ids(try await clientB.json("/v1/models"))
                    return ids.contains("sql-alias") && !ids.contains("theirs") && ids.contains("fast")
                }
                let fast = try await clientB.json("/v1/models/fast")
                #expect((fast.body as? [String: Any])?["max_input_tokens"] as? Int
                        == (try await clientB.json("/v1/models/gpt-4o").body as? [String: Any])?["max_input_tokens"] as? Int)
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }
}

extension AccessGroupRouteTests {
    @Test("import-config stores the file's router aliases; a second import replaces the config's ones", .timeLimit(.minutes(5)))
    func importConfigAliases() async throws {
        let conninfo = try await TestDatabase.fresh()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-aliases-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("config.yaml").path
        func write(_ aliases: String) throws {
            try """
                model_list:
                  - model_name: gpt-4o
                    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
                router_settings:
                  model_group_alias:
                \(aliases)
                """.write(toFile: file, atomically: true, encoding: .utf8)
        }
        func stored() async throws -> [String] {
            let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
            let rows = try await pool.query(
                "SELECT alias || '>' || model_group || (CASE WHEN hidden THEN '!' ELSE '' END) AS a FROM model_group_aliases ORDER BY alias")
            await pool.close()
            return try rows.map { try $0.decode(String.self, "a") }
        }
        try write("    fast: gpt-4o\n    quiet: {model: gpt-4o, hidden: true}")
        let first = try await ServerProcess.run(["import-config", file, "--database-url", conninfo], timeout: .seconds(120))
        #expect(first.termination == .exited(0), "\(first.output)")
        #expect(try await stored() == ["fast>gpt-4o", "quiet>gpt-4o!"])
        try write("    smart: gpt-4o")
        let second = try await ServerProcess.run(["import-config", file, "--database-url", conninfo], timeout: .seconds(120))
        #expect(second.termination == .exited(0), "\(second.output)")
        #expect(try await stored() == ["smart>gpt-4o"])
    }
}

extension TestCatalog {
    /// The store over this catalog's database; the caller closes it.
    func database() -> CatalogDatabase {
        CatalogDatabase(configuration: .init(conninfo: conninfo, maxConnections: 2, secretKey: TestCatalog.secretKey))
    }
}
