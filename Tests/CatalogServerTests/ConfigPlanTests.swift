import Catalog
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Plan, then apply (issue 14): `import-config --dry-run` and POST /config/plan say exactly what
/// an import would do and change nothing; POST /config/apply writes exactly the plan, or 409.
@Suite("Config plans", .serialized)
struct ConfigPlanTests {
    /// The reference config, changed: dep-0001's rpm, and one entry more.
    static func changedConfig() throws -> String {
        let original = try String(contentsOf: TestCatalog.fixtures.appendingPathComponent("config.yaml"), encoding: .utf8)
        var text = original.replacingOccurrences(of: "      rpm: 101\n", with: "      rpm: 500\n")
        #expect(text != original)
        let added = """
              - model_name: gpt-new
                litellm_params:
                  model: openai/gpt-4o
                  rpm: 7
                model_info:
                  id: dep-new

            """
        text = text.replacingOccurrences(of: "model_list:\n", with: "model_list:\n" + added)
        return text
    }

    static func counts(_ value: Any?) -> [String: Int] {
        (value as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    /// A reference catalog that the API then changed: dep-0002 deleted, dep-0003 edited.
    static func changedCatalog(key: SecretKey) async throws -> TestCatalog {
        let catalog = try await TestCatalog.make()
        let config = try LiteLLMConfig.load(path: TestCatalog.fixtures.appendingPathComponent("config.yaml").path)
        _ = try await ConfigModelLoader(pool: catalog.pool, secretKey: key).load(config.models)
        try await catalog.withApplication(catalog.configuration(secretKey: key)) { _, client in
            let deleted = try await client.json("/model/delete", method: .post, body: #"{"id":"dep-0002"}"#)
            let edited = try await client.json("/model/dep-0003/update", method: .patch, body: #"{"litellm_params":{"rpm":1}}"#)
            #expect(deleted.status == .ok && edited.status == .ok)
        }
        return catalog
    }

    @Test("--dry-run and POST /config/plan print the exact diff against a changed catalog, and change nothing",
          .timeLimit(.minutes(4)))
    func dryRun() async throws {
        let (key, base64) = SecretKey.generate()
        let catalog = try await Self.changedCatalog(key: key)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plan-\(UUID().uuidString).yaml")
        try Self.changedConfig().write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let before = try await ModelBatchTests.dump(catalog)

        let run = try await ServerProcess.runSeparately(
            ["import-config", file.path, "--dry-run", "--database-url", catalog.conninfo],
            environment: ["CATALOG_SECRET_KEY": base64], timeout: .seconds(120))
        #expect(run.termination == .exited(0), "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [
            "\(file.path): 51 models: 1 to add, 1 to change, 1 kept deleted (deleted through the API), 48 unchanged",
            "+ dep-new (gpt-new)",
            "~ dep-0001 (gpt-4o-mini-001)",
            "    litellm_params.rpm: 101 -> 500",
            "- dep-0002 (azure-gpt4o-002) stays deleted",
        ], "\(run.stdout)")
        #expect(!run.stdout.contains("sk-test-123"))

        try await catalog.withApplication(catalog.configuration(secretKey: key)) { _, client in
            let planned = try await client.execute(uri: "/config/plan", method: .post, headers: adminHeaders,
                                                   body: ByteBuffer(string: try Self.changedConfig())) { String(buffer: $0.body) }
            let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.utf8)) as? [String: Any])
            #expect(Self.counts(plan["summary"]) == ["added": 1, "changed": 1, "kept_deleted": 1, "unchanged": 48])
            let changed = plan["changed"] as? [[String: Any]] ?? []
            #expect(changed.count == 1)
            #expect(changed.first?["id"] as? String == "dep-0001")
            let diff = changed.first?["diff"] as? [[String: Any]] ?? []
            #expect(diff.count == 1)
            #expect(diff.first?["field"] as? String == "litellm_params.rpm")
            #expect(diff.first?["before"] as? Int == 101 && diff.first?["after"] as? Int == 500)
            #expect((plan["added"] as? [[String: Any]])?.first?["id"] as? String == "dep-new")
            #expect((plan["kept_deleted"] as? [[String: Any]])?.first?["id"] as? String == "dep-0002")
            #expect((plan["unchanged"] as? [String])?.contains("dep-0003") == true, "an API edit the file does not touch stays")
            #expect(!planned.contains("sk-test-123"))
        }
        #expect(try await ModelBatchTests.dump(catalog) == before, "planning changed the catalog")
        // The kept plan holds its secrets sealed, never in clear.
        let kept = try await catalog.pool.query("SELECT entries::text AS e FROM config_plans")
        #expect(kept.count == 1)
        #expect(try kept.first.map { try $0.decode(String.self, "e").contains("sk-test-123") } == false)
        await catalog.close()
    }

    @Test("apply writes exactly the plan, once; a write to a planned model in between gets 409 and changes nothing")
    func apply() async throws {
        let (key, _) = SecretKey.generate()
        let catalog = try await Self.changedCatalog(key: key)
        try await catalog.withApplication(catalog.configuration(secretKey: key)) { _, client in
            func plan() async throws -> String {
                let text = try await client.execute(uri: "/config/plan", method: .post, headers: adminHeaders,
                                                    body: ByteBuffer(string: try Self.changedConfig())) { String(buffer: $0.body) }
                return try #require((try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["plan_id"] as? String)
            }
            let stale = try await plan()
            #expect(try await client.json("/model/dep-0001/update", method: .patch, body: #"{"litellm_params":{"tpm":3}}"#).status == .ok)
            let refused = try await client.json("/config/apply", method: .post, body: #"{"plan_id":"\#(stale)"}"#)
            #expect(refused.status == .conflict, "\(refused.text)")
            #expect(refused.text.contains("dep-0001"))
            #expect(try await client.modelIDs().contains("dep-new") == false)

            let fresh = try await plan()
            let applied = try await client.json("/config/apply", method: .post, body: #"{"plan_id":"\#(fresh)"}"#)
            #expect(applied.status == .ok, "\(applied.text)")
            #expect(Self.counts((applied.body as? [String: Any])?["applied"]) == ["added": 1, "changed": 1, "kept_deleted": 1, "unchanged": 48])
            let ids = try await client.modelIDs()
            #expect(ids.contains("dep-new") && !ids.contains("dep-0002"))
            #expect(try await RestoreTests.rpm(client, "dep-0001") == 500)
            #expect(try await ModelRepository(pool: catalog.pool, secretKey: key).secrets(id: "dep-0000").litellmParams[[.key("api_key")]]
                    == "sk-test-123")
            #expect(try await client.json("/config/apply", method: .post, body: #"{"plan_id":"\#(fresh)"}"#).status == .notFound)

            // Not for team keys.
            _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"team-z"}"#)
            let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"team-z","role":"tenant_admin"}"#)
            var team = adminHeaders
            team[.authorization] = "Bearer \((generated.body as? [String: Any])?["key"] as? String ?? "")"
            #expect(try await client.json("/config/plan", method: .post, headers: team, body: "model_list: []").status == .forbidden)
            #expect(try await client.json("/config/plan", method: .post, body: "model_list: [").status == .badRequest)
        }
        await catalog.close()
    }
}
