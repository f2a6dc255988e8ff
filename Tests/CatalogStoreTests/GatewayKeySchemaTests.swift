import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// 0011's checks on api_keys, for rows written with plain SQL: a gateway key has a team or none;
/// the other roles keep 0008's rule.
@Suite("Gateway keys in the schema")
struct GatewayKeySchemaTests {
    @Test("role gateway is stored with or without a team; admin and personal keys still have none, team roles one")
    func checks() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await pool.withConnection { connection in try connection.execute("INSERT INTO tenants (id) VALUES ('t1')") }
        let cases: [(role: String, tenant: String?, accepted: Bool)] = [
            ("gateway", nil, true), ("gateway", "t1", true),
            ("admin", nil, true), ("admin", "t1", false), ("personal", nil, true), ("personal", "t1", false),
            ("tenant_admin", "t1", true), ("tenant_admin", nil, false), ("tenant_member", "t1", true), ("tenant_member", nil, false),
            ("router", nil, false),
        ]
        for (index, row) in cases.enumerated() {
            let digest = KeyRepository.digest("sk-schema-test-\(index)")
            do {
                try await pool.query("INSERT INTO api_keys (key_hash, role, tenant_id) VALUES (\(digest), \(row.role), \(row.tenant))")
                #expect(row.accepted, "\(row) was stored")
            } catch {
                #expect(!row.accepted, "\(row): \(error)")
                #expect((error as? PostgresError)?.sqlState == .checkViolation, "\(row): a check refuses it, not something else: \(error)")
            }
        }
        let names = try await pool.query("""
            SELECT conname FROM pg_constraint WHERE conrelid = 'api_keys'::regclass AND contype = 'c' AND conname IN ('api_keys_role_check', 'api_keys_check')
            """)
        #expect(names.count == 2, "the checks keep their names")
        await pool.close()
    }
}

