import Catalog
import CatalogStore
import Foundation
import Logging
import Postgres
import Testing

/// Rows an older redaction rule stored in clear are sealed once, at start (`CatalogDatabase.prepare`).
@Suite("Re-sealing what an older rule left in clear")
struct SecretResealTests {
    static let clear = ["team-clear-1", "sk-clear-1", "p-clear-2", "info-clear-3", "tok-clear-5"]

    /// Rows as version 5 of the service stored them: names the rule then missed, in clear.
    static func oldRows(_ catalog: TestCatalog) async throws {
        try await catalog.pool.query("""
            INSERT INTO tenants (id, metadata) VALUES ('t-old', '{"apiKey": "team-clear-1", "owner": "ops"}')
            """)
        try await catalog.pool.query("""
            INSERT INTO models (id, model_name, litellm_params, model_info)
            VALUES ('old-1', 'old', '{"model": "openai/gpt-4o", "apiKey": "sk-clear-1", "api_base": "https://u:p-clear-2@h.example", "rpm": 5}',
                    '{"id": "old-1", "webhookSecret": "info-clear-3", "mode": "chat"}')
            """)
        let models = ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        _ = try await models.insert(Deployment(id: "old-2", modelName: "old", litellmParams: ["model": "openai/gpt-4o", "api_key": "sk-sealed-4"],
                                               modelInfo: ["id": "old-2"]), actor: "test")
        try await catalog.pool.query("""
            UPDATE models SET litellm_params = litellm_params || '{"accessToken": "tok-clear-5"}' WHERE id = 'old-2'
            """)
    }

    static func everything(_ catalog: TestCatalog) async throws -> String {
        try await catalog.pool.query("""
            SELECT (SELECT string_agg(litellm_params::text || model_info::text, ' ') FROM models) || ' ' ||
                   (SELECT string_agg(metadata::text, ' ') FROM tenants) || ' ' ||
                   (SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') FROM changes) AS text
            """)[0].decode(String.self, "text")
    }

    @Test("the pass seals clear secrets of models, model_info, teams and masks the history; once")
    func reseal() async throws {
        let catalog = try await TestCatalog.make()
        try await Self.oldRows(catalog)
        let before = try await Self.everything(catalog)
        for secret in Self.clear { #expect(before.contains(secret), "the old rows really hold \(secret)") }

        // Without a key nothing can be sealed: counted, left, and tried again at the next start.
        let keyless = try await SecretReseal.run(on: catalog.pool, key: nil, logger: Logger(label: "test"))
        #expect(keyless.ran && keyless.unsealed == 3 && keyless.models == 0 && keyless.teams == 0)

        let database = CatalogDatabase(configuration: .init(conninfo: catalog.conninfo, secretKey: TestCatalog.secretKey))
        try await database.prepare(logger: Logger(label: "test"))
        let after = try await Self.everything(catalog)
        for secret in Self.clear { #expect(!after.contains(secret), "\(secret) is still in clear") }
        #expect(after.contains("ops") && after.contains("\"rpm\": 5") && after.contains("chat"))

        let models = ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        let old1 = try await models.secrets(id: "old-1")
        #expect(old1.litellmParams == [[.key("apiKey")]: "sk-clear-1", [.key("api_base")]: "https://u:p-clear-2@h.example"])
        #expect(old1.modelInfo == [[.key("webhookSecret")]: "info-clear-3"])
        // What was sealed before stays sealed beside what joins it.
        let old2 = try await models.secrets(id: "old-2")
        #expect(old2.litellmParams == [[.key("api_key")]: "sk-sealed-4", [.key("accessToken")]: "tok-clear-5"])
        let team = try await TenantRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "t-old")
        #expect(team == [[.key("apiKey")]: "team-clear-1"])
        // An update echoing the placeholders keeps every one of them.
        _ = try await models.update(id: "old-1", actor: "test") { current in
            var changed = current
            changed.litellmParams["rpm"] = 6
            return changed
        }
        #expect(try await models.secrets(id: "old-1") == old1)

        // Done once: the next start finds nothing to do.
        let again = try await SecretReseal.run(on: catalog.pool, key: TestCatalog.secretKey, logger: Logger(label: "test"))
        #expect(!again.ran)
        await database.close()
        await catalog.close()
    }
}
