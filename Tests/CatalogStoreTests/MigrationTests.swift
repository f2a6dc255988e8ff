import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Schema migrations")
struct MigrationTests {
    @Test("the bundled migrations apply, and a second run applies nothing")
    func idempotent() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        let runner = MigrationRunner(migrations: try Migration.bundled())
        #expect(try Migration.bundled().first?.version == "0001_catalog")
        let first = try await runner.run(on: pool)
        #expect(first == (try Migration.bundled().map(\.version)))
        let second = try await runner.run(on: pool)
        #expect(second.isEmpty)
        let tables = try await pool.query("""
            SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name
            """)
        #expect(try tables.map { try $0.decode(String.self, "table_name") }
            == ["api_keys", "change_position_counter", "changes", "config_plans", "config_tombstones", "cost_map", "credential_secrets", "credentials",
                "fleet_members", "model_group_aliases", "model_secrets", "models", "object_versions", "price_overrides", "schema_migrations",
                "service_settings", "tenant_secrets", "tenants"])
        await pool.close()
    }

    @Test("a migration numbered below one already applied (0007 merged after 0009) is still applied, once")
    func lateLowerNumber() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        let bundled = try Migration.bundled()
        #expect(bundled.contains { $0.version == "0009_access_groups_aliases" })
        try await MigrationRunner(migrations: bundled).run(on: pool)
        let late = Migration(version: "0007_late_arrival", sql: "CREATE TABLE late_arrival (n int);")
        let merged = (bundled + [late]).sorted { $0.version < $1.version }
        #expect(try await MigrationRunner(migrations: merged).run(on: pool) == ["0007_late_arrival"])
        #expect(try await MigrationRunner(migrations: merged).run(on: pool).isEmpty)
        let exists = try await pool.query("SELECT to_regclass('late_arrival') IS NOT NULL AS present")
        #expect(try exists[0].decode(Bool.self, "present"))
        await pool.close()
    }

    @Test("two runners started together apply each file once")
    func concurrentRunners() async throws {
        let conninfo = try await TestDatabase.fresh()
        let migrations = try Migration.bundled() + [
            Migration(version: "9001_slow", sql: "SELECT pg_sleep(0.2); CREATE TABLE slow_marker (n int);"),
        ]
        let pools = (0..<2).map { _ in PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1)) }
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for pool in pools {
                group.addTask { try await MigrationRunner(migrations: migrations).run(on: pool) }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        // One runner applied everything, the other found nothing left to do.
        #expect(results.map(\.count).sorted() == [0, migrations.count])
        let recorded = try await pools[0].query("SELECT version, count(*) AS n FROM schema_migrations GROUP BY version")
        #expect(recorded.count == migrations.count)
        #expect(try recorded.allSatisfy { try $0.decode(Int.self, "n") == 1 })
        for pool in pools { await pool.close() }
    }

    @Test("a failing migration is rolled back whole and not recorded")
    func failingMigrationRollsBack() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        let broken = try Migration.bundled() + [
            Migration(version: "9002_broken", sql: "CREATE TABLE half_done (n int); SELECT * FROM no_such_table;"),
        ]
        await #expect(throws: PostgresError.self) { try await MigrationRunner(migrations: broken).run(on: pool) }
        let halfDone = try await pool.query("SELECT to_regclass('half_done') IS NULL AS missing")
        #expect(try halfDone[0].decode(Bool.self, "missing"))
        let recorded = try await pool.query("SELECT count(*) AS n FROM schema_migrations WHERE version = '9002_broken'")
        #expect(try recorded[0].decode(Int.self, "n") == 0)
        await pool.close()
    }

    @Test("writes to models append to the change log and notify the new seq in the same transaction")
    func changeLogAndNotify() async throws {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: "catalog_changes")
        try await pool.transaction { connection in
            try connection.query("SELECT set_config('catalog.actor', \("tester"), true)")
            try connection.query("""
                INSERT INTO models (id, model_name, litellm_params, source)
                VALUES (\("dep-1"), \("gpt-4o"), \(PostgresJSONB(#"{"model":"openai/gpt-4o"}"#)), 'api')
                """)
        }
        try await pool.query("UPDATE models SET version = version + 1 WHERE id = \("dep-1")")
        try await pool.query("DELETE FROM models WHERE id = \("dep-1")")
        var payloads: [String] = []
        for try await notification in listener.notifications {
            payloads.append(notification.payload)
            if payloads.count == 3 { break }
        }
        listener.stop()
        let log = try await pool.query("SELECT seq, entity, op, entity_id, actor FROM changes ORDER BY seq")
        #expect(try log.map { try $0.decode(Int.self, "seq") }.map(String.init) == payloads)
        #expect(try log.map { try $0.decode(String.self, "op") } == ["insert", "update", "delete"])
        #expect(try log.allSatisfy { try $0.decode(String.self, "entity") == "model" && $0.decode(String.self, "entity_id") == "dep-1" })
        #expect(try log[0].decode(String?.self, "actor") == "tester")
        #expect(try log[1].decode(String?.self, "actor") == nil)
        await pool.close()
    }
}
