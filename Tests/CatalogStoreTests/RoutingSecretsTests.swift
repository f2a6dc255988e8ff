import Catalog
import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// The routing view's secrets against a real PostgreSQL: sealed at rest, opened for the view,
/// credentials resolved within the rule, nothing of another team's.
@Suite("Routing secrets")
struct RoutingSecretsTests {
    static let key = SecretKey.generate().key

    @Test("a literal api_key sealed at rest comes back opened, a credential is resolved, os.environ stays")
    func opensAndResolves() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await pool.withConnection { connection in try connection.execute("INSERT INTO tenants (id) VALUES ('t1'), ('t2')") }
        let models = ModelRepository(pool: pool, secretKey: Self.key)
        let credentials = CredentialRepository(pool: pool, secretKey: Self.key)
        _ = try await credentials.create(Credential(name: "shared-azure"),
                                         values: ["api_key": "sk-credential-4711", "api_base": "https://azure.example.com"], actor: "test")
        _ = try await credentials.create(Credential(name: "t2-only", tenantID: "t2"), values: ["api_key": "sk-t2-secret-0815"], actor: "test")

        let literal = try await models.insert(Deployment(id: "literal", modelName: "gpt-4o", litellmParams: [
            "model": "openai/gpt-4o", "api_key": "sk-literal-1234",
            "extra_headers": ["Authorization": "Bearer hdr-5678", "X-Env": "os.environ/HEADER_KEY"],
        ]), actor: "test")
        let viaCredential = try await models.insert(Deployment(id: "via-credential", tenantID: "t1", modelName: "azure-4o", litellmParams: [
            "model": "azure/gpt-4o", "api_version": "os.environ/AZURE_API_VERSION", "api_base": "https://own.example.com",
            Credential.paramName: "shared-azure",
        ]), actor: "test")
        let environment = try await models.insert(Deployment(id: "environment", tenantID: "t1", modelName: "claude", litellmParams: [
            "model": "anthropic/claude", "api_key": "os.environ/ANTHROPIC_API_KEY",
        ]), actor: "test")
        // A row written with plain SQL that names another team's credential opens nothing of it.
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source)
                VALUES ('foreign', 't1', 'gpt-4o', '{"model": "openai/gpt-4o", "litellm_credential_name": "t2-only"}', '{}', 'api')
                """)
        }

        // At rest: no secret in the readable columns; sealed rows beside them.
        let readable = try await pool.query("SELECT string_agg(litellm_params::text, ' ') AS all FROM models")[0].decode(String.self, "all")
        for secret in ["sk-literal-1234", "hdr-5678", "sk-credential-4711"] { #expect(!readable.contains(secret)) }
        #expect(try await pool.query("SELECT count(*) AS n FROM model_secrets WHERE model_id = 'literal'")[0].decode(Int.self, "n") == 1)
        #expect(literal.litellmParams["api_key"] == .string(Redaction.placeholder))

        let foreign = try #require(try await models.find(id: "foreign"))
        // As a replica's snapshot holds them: redacted and encoded.
        let given = [literal, viaCredential, environment, foreign].map(\.heldForDisplay)
        let params = try await RoutingSecrets(pool: pool, secretKey: Self.key).routingParams(for: given)
        #expect(params.count == 4)

        let opened = try #require(params["literal"])
        #expect(opened["api_key"] == "sk-literal-1234")
        #expect(opened["extra_headers"]?["Authorization"] == "Bearer hdr-5678")
        #expect(opened["extra_headers"]?["X-Env"] == "os.environ/HEADER_KEY")

        let resolved = try #require(params["via-credential"])
        #expect(resolved["api_key"] == "sk-credential-4711")
        #expect(resolved["api_base"] == "https://own.example.com", "the deployment's own value wins")
        #expect(resolved["api_version"] == "os.environ/AZURE_API_VERSION")
        #expect(resolved[Credential.paramName] == nil)

        #expect(params["environment"]?["api_key"] == "os.environ/ANTHROPIC_API_KEY")

        let refused = try #require(params["foreign"])
        #expect(refused["api_key"] == nil && refused[Credential.paramName] == nil)
        #expect(!JSONWriter.string(.object(params.reduce(into: [:]) { $0[$1.key.text] = .object($1.value) })).contains("sk-t2-secret-0815"))
        await pool.close()
    }

    @Test("a model deleted, or moved to another team, since the caller read it is left out; nothing given, nothing read")
    func staleDeployments() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await pool.withConnection { connection in try connection.execute("INSERT INTO tenants (id) VALUES ('t1'), ('t2')") }
        let models = ModelRepository(pool: pool, secretKey: Self.key)
        let kept = try await models.insert(Deployment(id: "kept", tenantID: "t1", modelName: "a",
                                                      litellmParams: ["model": "openai/a", "api_key": "sk-kept-1"]), actor: "test")
        let moved = try await models.insert(Deployment(id: "moved", tenantID: "t1", modelName: "b",
                                                       litellmParams: ["model": "openai/b", "api_key": "sk-moved-2"]), actor: "test")
        let gone = try await models.insert(Deployment(id: "gone", tenantID: "t1", modelName: "c",
                                                      litellmParams: ["model": "openai/c", "api_key": "sk-gone-3"]), actor: "test")
        try await pool.withConnection { connection in
            try connection.execute("UPDATE models SET tenant_id = 't2' WHERE id = 'moved'; DELETE FROM models WHERE id = 'gone'")
        }
        let secrets = RoutingSecrets(pool: pool, secretKey: Self.key)
        let params = try await secrets.routingParams(for: [kept, moved, gone])
        #expect(Set(params.keys) == ["kept"])
        #expect(params["kept"]?["api_key"] == "sk-kept-1")
        #expect(try await secrets.routingParams(for: []).isEmpty)
        // Without the key that sealed them, secrets are unavailable, in words that hold none.
        await #expect(throws: CatalogError.unavailable(message: SecretKeyError.cannotOpen.description)) {
            _ = try await RoutingSecrets(pool: pool, secretKey: SecretKey.generate().key).routingParams(for: [kept])
        }
        await pool.close()
    }
}
