import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// The admin page (/ui) in a real headless Chromium (Debian's `chromium`), driven by Playwright
/// for Python (`Tests/Scripts/admin_page_checks.py`), against a live server with the reference
/// config and 1,000 more deployments. Screenshots land in `.build/ui-artifacts/`.
@Suite("The admin page in a browser", .serialized)
struct AdminPageTests {
    static let chromium = "/usr/bin/chromium"

    @Test("""
        sign in; list, filter, sort, search and page 1,052 deployments; add a model with a literal secret that never reaches the \
        browser; edit it; two tabs conflict and reapply; restore; delete; a plain-SQL write live; credentials, keys, cost map, \
        fleet and import pages; keyboard only; a tenant admin and a member are offered only what they may do; no JS error, \
        no serious axe violation
        """,
          .timeLimit(.minutes(15)))
    func browser() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.chromium),
                "\(Self.chromium) is missing: the README's prerequisites line installs Debian's chromium")
        let python = try await PythonVirtualEnvironment.adminPage.prepare()
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO tenants (id) VALUES ('team-a'), ('team-b');
                INSERT INTO models (id, model_name, litellm_params, model_info, source)
                SELECT 'bulk-' || lpad(n::text, 4, '0'), 'bulk-' || lpad(n::text, 4, '0'),
                       jsonb_build_object('model', 'openai/gpt-4o-mini', 'rpm', n), '{}'::jsonb, 'sql'
                FROM generate_series(0, 999) AS n;
                INSERT INTO models (id, tenant_id, model_name, litellm_params, source) VALUES
                    ('team:team-a:m', 'team-a', 'team-model-a', '{"model": "openai/gpt-4o"}', 'sql'),
                    ('team:team-b:m', 'team-b', 'team-model-b', '{"model": "openai/gpt-4o"}', 'sql');
                """)
        }
        await pool.close()
        let masterKey = "sk-ui-\(UUID().uuidString.lowercased())"
        let secretKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let config = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/litellm/config.yaml").path
        let script = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Scripts/admin_page_checks.py").path
        let artifacts = ServerProcess.repositoryRoot.appendingPathComponent(".build/ui-artifacts").path
        try await ServerProcess.with(
            ["--config", config, "--database-url", conninfo, "--pool-size", "4"],
            environment: ["LITELLM_MASTER_KEY": masterKey, "CATALOG_SECRET_KEY": secretKey]
        ) { server in
            let run = try await ChildProcess.run(
                python, [script, server.baseURL, masterKey, conninfo, artifacts],
                environment: PythonVirtualEnvironment.processEnvironment.merging(
                    ["NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"]) { _, new in new },
                timeout: .seconds(600))
            #expect(run.termination == .exited(0), "the admin page checks failed (\(run.termination)):\n\(run.output.suffix(8000))")
            #expect(run.output.contains("admin page checks passed"))
        }
        for name in ["sign-in", "models", "model", "model-form", "conflict", "credentials", "teams", "cost-map", "fleet", "import"] {
            for variant in ["desktop-light", "desktop-dark", "phone-light", "phone-dark"] {
                #expect(FileManager.default.fileExists(atPath: "\(artifacts)/\(name)-\(variant).png"), "no screenshot \(name)-\(variant)")
            }
        }
    }
}
