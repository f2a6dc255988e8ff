import Catalog
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// POST /model/restore and `model-catalog models restore` (issue 14): a model changed, deleted or
/// reloaded from config comes back to an earlier version as a new change, seen by a second replica,
/// with the documented secret rule; /model/history shows field-level diffs.
@Suite("Restore from history", .serialized)
struct RestoreTests {
    static func entry(_ client: any TestClientProtocol, _ id: String) async throws -> [String: Any]? {
        ((try await client.json("/model/info?litellm_model_id=\(id)").body as? [String: Any])?["data"] as? [[String: Any]])?.first
    }

    static func rpm(_ client: any TestClientProtocol, _ id: String) async throws -> Int? {
        (try await entry(client, id)?["litellm_params"] as? [String: Any])?["rpm"] as? Int
    }

    static func version(_ client: any TestClientProtocol, _ id: String) async throws -> Int? {
        (try await entry(client, id)?["model_info"] as? [String: Any])?["version"] as? Int
    }

    @Test("after an update and after a delete, on a second replica; secrets kept, or refused unless given")
    func updateAndDelete() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "restore-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "restore-b")
        let models = ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                #expect(try await clientA.json("/model/new", method: .post, body: """
                    {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-live-restore-1","rpm":5},
                     "model_info":{"id":"m-1","tier":"free"}}
                    """).status == .ok)
                #expect(try await clientA.json("/model/m-1/update", method: .patch,
                                               body: #"{"litellm_params":{"rpm":6},"model_info":{"tier":"paid"}}"#).status == .ok)
                #expect(try await Self.version(clientA, "m-1") == 2)

                // Back to version 1: a new change (version 3), the secret kept as it is now.
                let restored = try await clientA.json("/model/restore", method: .post, body: #"{"model_id":"m-1","version":1}"#)
                #expect(restored.status == .ok, "\(restored.text)")
                #expect(!restored.text.contains("sk-live-restore-1"))
                #expect(((restored.body as? [String: Any])?["litellm_params"] as? [String: Any])?["rpm"] as? Int == 5)
                try await eventually("B shows version 1's state as version 3") {
                    let (rpm, version) = (try await Self.rpm(clientB, "m-1"), try await Self.version(clientB, "m-1"))
                    return rpm == 5 && version == 3
                }
                #expect((try await Self.entry(clientB, "m-1")?["model_info"] as? [String: Any])?["tier"] as? String == "free")
                #expect(try await models.secrets(id: "m-1").litellmParams[[.key("api_key")]] == .string("sk-live-restore-1"))

                // History: the restore is the newest entry, by the acting key, with its diff.
                let history = try await clientA.json("/model/history?model_id=m-1")
                let entries = (history.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                #expect(entries.count == 3)
                let newest = try #require(entries.first)
                #expect(newest["op"] as? String == "update")
                #expect(newest["changed_by"] as? String == "master")
                #expect(newest["version"] as? Int == 3)
                let diff = newest["diff"] as? [[String: Any]] ?? []
                let fields = Set(diff.compactMap { $0["field"] as? String })
                #expect(fields == ["litellm_params.rpm", "model_info.tier"], "\(diff)")
                let rpm = diff.first { $0["field"] as? String == "litellm_params.rpm" }
                #expect(rpm?["before"] as? Int == 6 && rpm?["after"] as? Int == 5 && rpm?["op"] as? String == "changed")
                #expect(!history.text.contains("sk-live-restore-1"))

                // Deleted: its sealed secret went with it, so restoring a state that had one is
                // refused, naming the field, and changes nothing.
                #expect(try await clientA.json("/model/delete", method: .post, body: #"{"id":"m-1"}"#).status == .ok)
                let refused = try await clientA.json("/model/restore", method: .post, body: #"{"model_id":"m-1","version":2}"#)
                #expect(refused.status == .badRequest, "\(refused.text)")
                #expect(((refused.body as? [String: Any])?["error"] as? [String: Any])?["param"] as? String == "litellm_params.api_key")
                #expect(try await Self.entry(clientA, "m-1") == nil)

                // Given a new value, it comes back, as version 2 was, on both replicas.
                let back = try await clientA.json("/model/restore", method: .post,
                                                  body: #"{"model_id":"m-1","version":2,"litellm_params":{"api_key":"sk-live-restore-2"}}"#)
                #expect(back.status == .ok, "\(back.text)")
                try await eventually("B shows the deleted model restored") { try await Self.rpm(clientB, "m-1") == 6 }
                #expect(try await Self.version(clientB, "m-1") == 4)  // a refused restore took none
                #expect(try await models.secrets(id: "m-1").litellmParams[[.key("api_key")]] == .string("sk-live-restore-2"))

                // A version history does not hold is a 404; a bad body a 400.
                #expect(try await clientA.json("/model/restore", method: .post, body: #"{"model_id":"m-1","version":99}"#).status == .notFound)
                #expect(try await clientA.json("/model/restore", method: .post, body: #"{"model_id":"m-1","version":"2"}"#).status == .badRequest)
                #expect(try await clientA.json("/model/restore", method: .post, body: #"{"version":2}"#).status == .badRequest)
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("after a config reload changed a model: its earlier version comes back, and the same reload keeps it")
    func afterConfigReload() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "reload-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "reload-b")
        let original = try String(contentsOf: TestCatalog.fixtures.appendingPathComponent("config.yaml"), encoding: .utf8)
        let changed = original.replacingOccurrences(of: "      rpm: 100\n", with: "      rpm: 250\n")
        #expect(changed != original)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("restore-\(UUID().uuidString).yaml")
        try changed.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let loader = ConfigModelLoader(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                let reload = try await loader.load(try LiteLLMConfig.load(path: file.path).models)
                #expect(reload.updated == 1)
                try await eventually("B shows the reloaded rpm") { try await Self.rpm(clientB, "dep-0000") == 250 }
                let restored = try await clientA.json("/model/restore", method: .post, body: #"{"model_id":"dep-0000","version":1}"#)
                #expect(restored.status == .ok, "\(restored.text)")
                try await eventually("B shows the config's first version again") { try await Self.rpm(clientB, "dep-0000") == 100 }
                // The config's literal secret is the one it had.
                let secrets = try await ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "dep-0000")
                #expect(secrets.litellmParams[[.key("api_key")]] == .string("sk-test-123"))
                // Reloading the same file changes nothing: the restore stands.
                #expect(try await loader.load(try LiteLLMConfig.load(path: file.path).models).updated == 0)
                #expect(try await Self.rpm(clientA, "dep-0000") == 100)
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("a team key restores only what it may read and change; If-Match holds a restore to the version read")
    func policyAndIfMatch() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            for team in ["team-a", "team-b"] {
                #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"\#(team)"}"#).status == .ok)
            }
            #expect(try await client.json("/model/new", method: .post, body: """
                {"model_name":"b-model","litellm_params":{"model":"openai/gpt-4o","rpm":1},"model_info":{"id":"b-1","team_id":"team-b"}}
                """).status == .ok)
            #expect(try await client.json("/model/b-1/update", method: .patch, body: #"{"litellm_params":{"rpm":2}}"#).status == .ok)
            let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"team-a","role":"tenant_admin"}"#)
            let key = try #require((generated.body as? [String: Any])?["key"] as? String)
            var teamA = adminHeaders
            teamA[.authorization] = "Bearer \(key)"
            let hidden = try await client.json("/model/restore", method: .post, headers: teamA, body: #"{"model_id":"b-1","version":1}"#)
            #expect(hidden.status == .notFound)
            #expect(try await Self.rpm(client, "b-1") == 2)

            var stale = adminHeaders
            stale[.ifMatch] = "\"1\""
            let refused = try await client.json("/model/restore", method: .post, headers: stale, body: #"{"model_id":"b-1","version":1}"#)
            #expect(refused.status == .preconditionFailed)
            #expect(try await Self.rpm(client, "b-1") == 2)
            var current = adminHeaders
            current[.ifMatch] = "\"2\""
            #expect(try await client.json("/model/restore", method: .post, headers: current, body: #"{"model_id":"b-1","version":1}"#).status == .ok)
            #expect(try await Self.rpm(client, "b-1") == 1)
        }
        await catalog.close()
    }

    @Test("model-catalog models restore brings a deleted model back from the shell", .timeLimit(.minutes(3)))
    func command() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await client.json("/model/new", method: .post, body: """
                {"model_name":"cli-model","litellm_params":{"model":"openai/gpt-4o","rpm":7},"model_info":{"id":"cli-1"}}
                """)
            #expect(created.status == .ok)
            let deleted = try await client.json("/model/delete", method: .post, body: #"{"id":"cli-1"}"#)
            #expect(deleted.status == .ok)
        }
        let run = try await ServerProcess.runSeparately(
            ["models", "restore", "--model-id", "cli-1", "--version", "1", "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(run.termination == .exited(0), "\(run.stderr)")
        #expect(run.stdout.contains("\"rpm\":7"), "\(run.stdout)")
        let rows = try await catalog.pool.query("SELECT version, updated_by FROM models WHERE id = \("cli-1")")
        #expect(try rows.first?.decode(Int.self, "version") == 2)
        #expect(try rows.first?.decode(String?.self, "updated_by") == "cli")
        let missing = try await ServerProcess.runSeparately(
            ["models", "restore", "--model-id", "cli-1", "--version", "40", "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(missing.termination != .exited(0))
        #expect(missing.stderr.contains("no version 40"), "\(missing.stderr)")
        await catalog.close()
    }
}
