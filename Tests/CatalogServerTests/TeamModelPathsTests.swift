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

/// A team's models are the team's whichever path made them: `serve --config` at start,
/// `import-config`, an admin's `/model/new` with `model_info.team_id`, and a plain SQL INSERT
/// with `tenant_id`. Their own team's keys see them; another team's keys see none of them, on any
/// read endpoint, from the snapshot and from the database, and again after a restart.
@Suite("Team models from every path", .serialized)
struct TeamModelPathsTests {
    /// The four t1 models, by the path that made each: (id, model_name).
    static let made = [
        ("cfg-t1", "cfg-t1-model"), ("imp-t1", "imp-t1-model"), ("api-t1", "api-t1-model"), ("sql-t1", "sql-t1-model"),
    ]

    static func config(id: String, name: String, team: String) -> String {
        """
        model_list:
          - model_name: \(name)
            litellm_params:
              model: openai/gpt-4o-mini
              api_key: os.environ/OPENAI_API_KEY
            model_info:
              id: \(id)
              team_id: \(team)
          - model_name: shared-\(id)
            litellm_params:
              model: openai/gpt-4o
            model_info:
              id: shared-\(id)

        """
    }

    enum ReadPath: String, CaseIterable, Sendable { case database, replicaCache }

    @Test("seen by the team's keys and by no other team's key, on every read endpoint", arguments: ReadPath.allCases)
    func isolated(path: ReadPath) async throws {
        let catalog = try await TestCatalog.make()
        let tenants = TenantRepository(pool: catalog.pool)
        for team in ["t1", "t2"] { _ = try await tenants.create(Tenant(id: team, alias: nil), actor: "test") }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }

        // 1. Config at start, through the composition root as `serve --config` does.
        let startFile = directory.path + "/start.yaml"
        try Self.config(id: "cfg-t1", name: "cfg-t1-model", team: "t1").write(toFile: startFile, atomically: true, encoding: .utf8)
        var configuration = catalog.configuration(
            replica: path == .replicaCache ? ReplicaOptions(pollInterval: .milliseconds(200), maxBackoff: .milliseconds(200)) : nil)
        configuration.config = (startFile, try LiteLLMConfig.load(path: startFile).models)

        // 2. import-config, the real command, into the same database.
        let importFile = directory.path + "/import.yaml"
        try Self.config(id: "imp-t1", name: "imp-t1-model", team: "t1").write(toFile: importFile, atomically: true, encoding: .utf8)
        let imported = try await ServerProcess.run(["import-config", importFile, "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(imported.termination == .exited(0), "\(imported.output)")

        try await catalog.withApplication(configuration) { built, client in
            // 3. An admin's /model/new naming the team.
            let created = try await client.json("/model/new", method: .post, body: """
                {"model_name":"api-t1-model","litellm_params":{"model":"openai/gpt-4o-mini"},"model_info":{"id":"api-t1","team_id":"t1"}}
                """)
            #expect(created.status == .ok, "\(created.text)")
            // 4. Plain SQL with the columns a person writes.
            try await catalog.pool.query("""
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info)
                VALUES ('sql-t1', 't1', 'sql-t1-model', '{"model": "openai/gpt-4o-mini"}', '{}')
                """)
            try await built.cache?.store.catchUp()

            let keys = try await Self.keys(client)
            try await built.cache?.store.catchUp()
            try await Self.checkIsolation(client, keys: keys, label: path.rawValue)
        }

        // After a restart with the same config file: still the team's, still isolated.
        try await catalog.withApplication(configuration) { built, client in
            let keys = try await Self.keys(client)
            try await built.cache?.store.catchUp()
            try await Self.checkIsolation(client, keys: keys, label: "\(path.rawValue) after restart")
        }
        let owners = try await catalog.pool.query("SELECT id, tenant_id, source FROM models ORDER BY id")
        let rows = try owners.map { "\(try $0.decode(String.self, "id"))=\(try $0.decode(String?.self, "tenant_id") ?? "-")/\(try $0.decode(String.self, "source"))" }
        #expect(rows == ["api-t1=t1/api", "cfg-t1=t1/config", "imp-t1=t1/config", "shared-cfg-t1=-/config",
                         "shared-imp-t1=-/config", "sql-t1=t1/sql"])
        await catalog.close()
    }

    /// A member key and a tenant_admin key of t1 and of t2, by name ("t1", "t1-admin", …).
    static func keys(_ client: any TestClientProtocol) async throws -> [String: String] {
        var keys: [String: String] = [:]
        for team in ["t1", "t2"] {
            for (suffix, role) in [("", "tenant_member"), ("-admin", "tenant_admin")] {
                let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"\#(team)","role":"\#(role)"}"#)
                keys[team + suffix] = (generated.body as? [String: Any])?["key"] as? String
            }
        }
        return keys
    }

    /// Every read endpoint, for a t1 key and a t2 key (and their tenant admins for history).
    static func checkIsolation(_ client: any TestClientProtocol, keys: [String: String], label: String) async throws {
        let ids = Set(made.map(\.0)), names = Set(made.map(\.1))
        for (team, sees) in [("t1", true), ("t2", false)] {
            let headers: HTTPFields = [.authorization: "Bearer \(keys[team] ?? "")"]
            let admin: HTTPFields = [.authorization: "Bearer \(keys[team + "-admin"] ?? "")"]
            let context = "\(label), \(team) key"

            for uri in ["/model/info", "/v1/model/info", "/v2/model/info?size=1000"] {
                let response = try await client.json(uri, headers: headers)
                #expect(response.status == .ok, "\(context) \(uri)")
                let data = (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                let seen = Set(data.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String })
                #expect(seen.intersection(ids) == (sees ? ids : []), "\(context) \(uri): \(seen.sorted())")
                for entry in data where ids.contains(((entry["model_info"] as? [String: Any])?["id"] as? String) ?? "") {
                    #expect((entry["model_info"] as? [String: Any])?["team_id"] as? String == "t1", "\(context) \(uri)")
                }
                #expect(seen.contains("shared-cfg-t1") && seen.contains("shared-imp-t1"), "\(context) \(uri): shared models")
            }
            let groups = try await client.json("/model_group/info", headers: headers)
            let groupNames = Set(((groups.body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["model_group"] as? String })
            #expect(groupNames.intersection(names) == (sees ? names : []), "\(context) /model_group/info")
            let models = try await client.json("/v1/models", headers: headers)
            let modelNames = Set(((models.body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
            #expect(modelNames.intersection(names) == (sees ? names : []), "\(context) /v1/models")

            for (id, name) in made {
                let expected: HTTPResponse.Status = sees ? .ok : .notFound
                #expect(try await client.json("/v1/model/info?litellm_model_id=\(id)", headers: headers).status == expected,
                        "\(context) /v1/model/info?litellm_model_id=\(id)")
                #expect(try await client.json("/model/info?litellm_model_id=\(id)", headers: headers).status == expected,
                        "\(context) /model/info?litellm_model_id=\(id)")
                #expect(try await client.json("/model_group/info?model_group=\(name)", headers: headers).status == expected,
                        "\(context) /model_group/info?model_group=\(name)")
                #expect(try await client.json("/v1/models/\(name)", headers: headers).status == expected, "\(context) /v1/models/\(name)")
                for (who, caller) in [("member", headers), ("admin", admin)] {
                    let history = try await client.json("/model/history?model_id=\(id)", headers: caller)
                    #expect(history.status == expected, "\(context) (\(who)) /model/history?model_id=\(id)")
                    if !sees { #expect(!history.text.contains(name), "\(context) history leaks the name") }
                }
            }
        }
    }

    @Test("a config naming a team that does not exist is refused with the file, the line and the field; nothing is loaded")
    func unknownTeam() async throws {
        let catalog = try await TestCatalog.make()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/config.yaml"
        try Self.config(id: "cfg-x", name: "cfg-x-model", team: "no-such-team").write(toFile: file, atomically: true, encoding: .utf8)

        // At start (serve --config): the composition root refuses.
        var configuration = catalog.configuration()
        configuration.config = (file, try LiteLLMConfig.load(path: file).models)
        do {
            _ = try await buildApplication(configuration: configuration, logger: Logger(label: "test"))
            Issue.record("a config naming a missing team was loaded")
        } catch let error as ConfigError {
            #expect(error.file == file)
            #expect(error.line == 8, "team_id is on line 8: \(error)")
            #expect(error.field == "model_list[0].model_info.team_id")
            #expect(error.description.contains("no-such-team"))
        }
        // import-config: exit 1, the same words.
        let refused = try await ServerProcess.run(["import-config", file, "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(refused.termination == .exited(1), "\(refused.output)")
        #expect(refused.output.contains("config.yaml:8: model_list[0].model_info.team_id: team 'no-such-team' does not exist"),
                "\(refused.output)")
        let count = try await catalog.pool.query("SELECT count(*) AS n FROM models")[0].decode(Int.self, "n")
        #expect(count == 0, "a refused config loaded models")
        await catalog.close()
    }

    @Test("a model_info.team_id that is not a string is refused when the file is read")
    func teamIDType() throws {
        let text = """
            model_list:
              - model_name: m
                litellm_params: {model: openai/gpt-4o}
                model_info: {id: m, team_id: [t1]}
            """
        #expect(throws: ConfigError.self) { try LiteLLMConfig.parse(text, file: "c.yaml") }
        do {
            _ = try LiteLLMConfig.parse(text, file: "c.yaml")
        } catch let error as ConfigError {
            #expect(error.field == "model_list[0].model_info.team_id")
            #expect(error.line == 4)
        } catch {
            Issue.record("\(error)")
        }
    }
}
