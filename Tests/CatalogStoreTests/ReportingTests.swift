import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("SQL reporting views and row-level security")
struct ReportingTests {
    static func seeded() async throws -> PostgresConnectionPool {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await CostMapRepository(pool: pool).seedIfEmpty()
        try await pool.transaction { connection in
            for tenant in ["t1", "t2"] {
                try connection.query("INSERT INTO tenants (id, alias) VALUES (\(tenant), \("Tenant " + tenant))")
            }
            for (id, tenant, model) in [("shared-1", nil, "openai/gpt-4o"), ("t1-1", "t1", "azure/my-deploy"),
                                        ("t2-1", "t2", "anthropic/claude-sonnet-4-5")] as [(String, String?, String)] {
                let info = id == "t1-1" ? #"{"base_model":"azure/gpt-4o"}"# : "{}"
                try connection.query("""
                    INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source)
                    VALUES (\(id), \(tenant), \(id), \(PostgresJSONB(#"{"model":"\#(model)","tpm":10}"#)), \(PostgresJSONB(info)), 'api')
                    """)
            }
        }
        return pool
    }

    /// Runs `body` as `role`, in a transaction that is rolled back (so the role ends with it).
    static func asRole<T: Sendable>(_ role: String, tenant: String? = nil, on pool: PostgresConnectionPool,
                                    _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await pool.withConnection { connection in
            try connection.execute("BEGIN")
            defer { try? connection.execute("ROLLBACK") }
            try connection.query("SET LOCAL ROLE \(identifier: role)")
            if let tenant { try connection.query("SELECT set_config('catalog.tenant_id', \(tenant), true)") }
            return try body(connection)
        }
    }

    @Test("catalog_reporting reads every deployment through the views, with prices from the cost map")
    func fullReporting() async throws {
        let pool = try await Self.seeded()
        let rows = try await Self.asRole("catalog_reporting", on: pool) { connection in
            try connection.query("""
                SELECT id, provider, mode, context_window, input_price_per_1m::float8 AS price, cost_map_key
                FROM reporting.deployments ORDER BY id
                """).map { row in
                (try row.decode(String.self, "id"), try row.decode(String.self, "provider"),
                 try row.decode(String?.self, "cost_map_key"), try row.decode(Double?.self, "price"))
            }
        }
        #expect(rows.map(\.0) == ["shared-1", "t1-1", "t2-1"])
        #expect(rows.map(\.1) == ["openai", "azure", "anthropic"])
        #expect(rows[0].2 == "gpt-4o")
        #expect(rows[1].2 == "azure/gpt-4o")
        #expect(rows[0].3 == 2.5)
        let summary = try await Self.asRole("catalog_reporting", on: pool) { connection in
            try connection.query("SELECT count(*) AS n FROM reporting.tenant_summary")[0].decode(Int.self, "n")
        }
        #expect(summary == 3)
        await pool.close()
    }

    @Test("the tenant reporting role sees its tenant's and shared rows, and nothing without catalog.tenant_id")
    func tenantReporting() async throws {
        let pool = try await Self.seeded()
        let none = try await Self.asRole("catalog_tenant_reporting", on: pool) { connection in
            try connection.query("SELECT count(*) AS n FROM reporting.deployments")[0].decode(Int.self, "n")
        }
        #expect(none == 0)
        let t1 = try await Self.asRole("catalog_tenant_reporting", tenant: "t1", on: pool) { connection in
            try connection.query("SELECT id FROM reporting.deployments ORDER BY id").map { try $0.decode(String.self, "id") }
        }
        #expect(t1 == ["shared-1", "t1-1"])
        let t1Summary = try await Self.asRole("catalog_tenant_reporting", tenant: "t1", on: pool) { connection in
            try connection.query("SELECT tenant_id FROM reporting.tenant_summary ORDER BY tenant_id").map { try $0.decode(String?.self, "tenant_id") }
        }
        #expect(t1Summary == ["t1", nil])
        await pool.close()
    }

    @Test("neither reporting role can select from any table, nor the sealed secrets", arguments: ["catalog_reporting", "catalog_tenant_reporting"])
    func noTables(role: String) async throws {
        let pool = try await Self.seeded()
        let tables = try await pool.query("""
            SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
            """).map { try $0.decode(String.self, "tablename") }
        #expect(tables.contains("model_secrets"))
        #expect(tables.contains("api_keys"))
        for table in tables {
            do {
                _ = try await Self.asRole(role, tenant: "t1", on: pool) { connection in
                    try connection.query("SELECT * FROM \(identifier: table) LIMIT 1")
                }
                Issue.record("\(role) could read table \(table)")
            } catch let error as PostgresError {
                #expect(error.sqlState == .insufficientPrivilege, "\(table)")
            }
        }
        await pool.close()
    }

    /// Values a plain-SQL write can store (the API refuses them) that once made the views fail.
    static let badRows: [(String, String, String)] = [
        ("rpm-huge", #"{"model":"openai/gpt-4o","rpm":1e20}"#, "{}"),
        ("tpm-huge-string", #"{"model":"openai/gpt-4o","tpm":"99999999999999999999999"}"#, "{}"),
        ("context-text", #"{"model":"openai/gpt-4o"}"#, #"{"max_input_tokens":"x"}"#),
        ("context-huge", #"{"model":"openai/gpt-4o"}"#, #"{"max_input_tokens":1e30}"#),
        ("price-dots", #"{"model":"openai/gpt-4o"}"#, #"{"input_cost_per_token":"..."}"#),
        ("price-exponent", #"{"model":"openai/gpt-4o","input_cost_per_token":"1e999999"}"#, "{}"),
        // LONG stands for 200,000 nines: more digits than numeric holds.
        ("price-long", #"{"model":"openai/gpt-4o"}"#, #"{"output_cost_per_token":"LONG"}"#),
        ("price-object", #"{"model":"openai/gpt-4o"}"#, #"{"input_cost_per_token":{"a":1},"mode":7,"litellm_provider":[1]}"#),
    ]

    @Test("a plain-SQL row with bad values reads as NULLs and breaks neither view", arguments: badRows)
    func badValues(id: String, params: String, info: String) async throws {
        let pool = try await Self.seeded()
        try await pool.query("""
            INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info)
            VALUES (\(id), 't1', \(id), \(PostgresJSONB(params)),
                    \(PostgresJSONB(info.replacingOccurrences(of: "LONG", with: String(repeating: "9", count: 200_000)))))
            """)
        let row = try await Self.asRole("catalog_reporting", on: pool) { connection in
            let all = try connection.query("SELECT * FROM reporting.deployments")
            #expect(all.count == 4)
            return try connection.query("""
                SELECT context_window, rpm, tpm, input_cost_per_token::text AS input, output_cost_per_token::text AS output
                FROM reporting.deployments WHERE id = \(id)
                """)[0]
        }
        if id.hasPrefix("rpm") { #expect(try row.decode(Int?.self, "rpm") == nil) }
        if id.hasPrefix("tpm") { #expect(try row.decode(Int?.self, "tpm") == nil) }
        if id.hasPrefix("context") { #expect(try row.decode(Int?.self, "context_window") == nil) }
        if id.hasPrefix("price") { #expect(try row.decode(String?.self, "output") != String(repeating: "9", count: 200000)) }
        let summary = try await Self.asRole("catalog_reporting", on: pool) { connection in
            try connection.query("SELECT * FROM reporting.tenant_summary WHERE tenant_id = 't1'")[0].decode(Int.self, "deployments")
        }
        #expect(summary == 2)
        await pool.close()
    }
}
