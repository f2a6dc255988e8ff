import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// `model-catalog keys create` without a team makes LiteLLM's personal key, as /key/generate does.
@Suite("model-catalog keys create", .serialized)
struct KeysCommandTests {
    @Test("no --team-id and no --role: a personal key, printed once, stored as a digest", .timeLimit(.minutes(3)))
    func personal() async throws {
        let conninfo = try await TestDatabase.fresh()
        let made = try await ServerProcess.runSeparately(
            ["keys", "create", "--models", "gpt-4o", "--alias", "alice", "--database-url", conninfo], timeout: .seconds(120))
        #expect(made.termination == .exited(0), "\(made.stderr)")
        let text = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.hasPrefix("sk-"))
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo))
        let row = try await pool.query("SELECT role, tenant_id, models, key_hash = \(KeyRepository.digest(text)) AS matches FROM api_keys WHERE key_alias = 'alice'")
        #expect(row.count == 1)
        #expect(try row.first?.decode(String.self, "role") == "personal")
        #expect(try row.first?.decode(String?.self, "tenant_id") == nil)
        #expect(try row.first?.decode(PostgresTextArray?.self, "models")?.elements == ["gpt-4o"])
        #expect(try row.first?.decode(Bool.self, "matches") == true)
        // A role that needs a team still needs one.
        let refused = try await ServerProcess.runSeparately(["keys", "create", "--role", "tenant_member", "--database-url", conninfo],
                                                            timeout: .seconds(120))
        #expect(refused.termination != .exited(0))
        #expect(refused.stderr.contains("team_id"), "\(refused.stderr)")
        await pool.close()
    }
}

extension KeysCommandTests {
    @Test("--role gateway makes a shared gateway key, or with --team-id one bound to that team", .timeLimit(.minutes(3)))
    func gateway() async throws {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo))
        for (arguments, tenant) in [(["--alias", "router"], nil), (["--team-id", "team-a", "--alias", "router-a"], "team-a")] as [([String], String?)] {
            if tenant != nil { try await pool.withConnection { connection in try connection.execute("INSERT INTO tenants (id) VALUES ('team-a')") } }
            let made = try await ServerProcess.runSeparately(["keys", "create", "--role", "gateway"] + arguments + ["--database-url", conninfo],
                                                             timeout: .seconds(120))
            #expect(made.termination == .exited(0), "\(made.stderr)")
            let text = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let row = try await pool.query("SELECT role, tenant_id FROM api_keys WHERE key_hash = \(KeyRepository.digest(text))")
            #expect(row.count == 1)
            #expect(try row.first?.decode(String.self, "role") == "gateway")
            #expect(try row.first?.decode(String?.self, "tenant_id") == tenant)
        }
        await pool.close()
    }
}
