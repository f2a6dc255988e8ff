import Catalog
import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Loading a large snapshot")
struct SnapshotLoadTests {
    @Test("5,000 models spread over 65,000 ordinals load in ordinal ranges on several connections into exactly what one read gives, in catalog order")
    func parallelDecodeMatchesSerial() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        // Varied rows: tenants and none, nested JSON, escapes, fractions, nulls, created_by set or not.
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO tenants (id) SELECT 't' || g FROM generate_series(1, 7) g;
                -- Ordinals 13 apart (a catalog with many deletions): the span, not the row count,
                -- makes the load parallel (ModelLoad.parallelFrom), so few rows exercise the ranges and
                -- the test stays light for the suites running beside it.
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source, created_by, ordinal)
                OVERRIDING SYSTEM VALUE
                SELECT 'm-' || lpad(g::text, 5, '0'),
                       CASE WHEN g % 3 = 0 THEN NULL ELSE 't' || (g % 7 + 1) END,
                       'group-' || (g % 40),
                       jsonb_build_object('model', 'openai/gpt-4o', 'rpm', g, 'api_key', 'os.environ/KEY_' || g,
                                          'temperature', (g % 10) / 10.0, 'extra', jsonb_build_object('n', g, 'q', 'a"b\\c é')),
                       jsonb_build_object('id', 'm-' || g, 'description', NULL, 'tags', jsonb_build_array(g, 'x', true)),
                       CASE WHEN g % 2 = 0 THEN 'config' ELSE 'api' END,
                       CASE WHEN g % 5 = 0 THEN NULL ELSE 'seed' END,
                       (5001 - g) * 13
                FROM generate_series(5000, 1, -1) g;
                """)
        }
        let serial = try await ModelRepository(pool: pool).all()
        let loaded = try await ChangeFeed(pool: pool).snapshot().snapshot.deployments.all
        #expect(serial.count == 5_000)
        #expect(loaded.count == serial.count)
        #expect(loaded == serial.map(\.heldForDisplay), "what a row-by-row read gives, held for display")
        // Catalog order is insertion order (ordinal), not id order: the first inserted is m-05000.
        #expect(loaded.first?.id == "m-05000")
        #expect(loaded.last?.id == "m-00001")
        #expect(loaded.first?.litellmParams["extra"]?["q"] == "a\"b\\c é")
        await pool.close()
    }
}
