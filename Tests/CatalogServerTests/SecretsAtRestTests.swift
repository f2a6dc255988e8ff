import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

@Suite("Secrets at rest")
struct SecretsAtRestTests {
    static let nestedSecrets = ["sk-nested-header-secret-1", "tok-credential-secret-2", "sk-vertex-secret-3", "pw-secret-4"]
    static let modelWithSecrets = """
        {"model_name":"vertex-gemini","litellm_params":{"model":"vertex_ai/gemini-1.5-pro",
         "api_key":"sk-test-123",
         "extra_headers":{"Authorization":"Bearer sk-nested-header-secret-1","X-Request-Source":"catalog"},
         "credentials":{"type":"service_account","private_key":"tok-credential-secret-2"},
         "vertex_credentials":"sk-vertex-secret-3",
         "proxies":[{"url":"http://proxy.example","password":"pw-secret-4"}]},
         "model_info":{"id":"vertex-1"}}
        """

    /// pg_dump of a database, as text.
    static func dump(_ conninfo: String) throws -> String {
        let candidates = ["/usr/bin/pg_dump"] + ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" }
        guard let pgDump = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw PostgresError(.misuse, message: "pg_dump not found (apt-get install -y postgresql-client)")
        }
        // Not Foundation's Process: its pipe would also reach a server another test starts
        // meanwhile, and the read of it would wait for that server to end.
        let outcome = try Subprocess.run(pgDump, ["--no-owner", "-d", conninfo], runAs: nil)
        #expect(outcome.status == 0, "\(outcome.output.prefix(2000))")
        return outcome.output
    }

    @Test("after the reference config and nested secrets, pg_dump holds no secret value and no key text")
    func dumpHoldsNoSecret() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        let keyText = try await catalog.withClientResult { client -> String in
            #expect(try await client.json("/model/new", method: .post, body: Self.modelWithSecrets).status == .ok)
            #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"t1","team_alias":"one"}"#).status == .ok)
            let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"t1","role":"tenant_admin"}"#)
            #expect(generated.status == .ok)
            // An update that sends the placeholder back keeps the sealed values.
            #expect(try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"vertex-1"},"litellm_params":{"extra_headers":{"Authorization":"********","X-Request-Source":"v2"}}}
                """).status == .ok)
            return (generated.body as? [String: Any])?["key"] as? String ?? ""
        }
        #expect(keyText.hasPrefix("sk-"))
        let dump = try Self.dump(catalog.conninfo)
        #expect(dump.contains("dep-0000"))  // the dump is real
        #expect(dump.contains("vertex-1"))
        #expect(!dump.contains("sk-test-123"))
        #expect(!dump.contains(keyText))
        #expect(!dump.contains(TestCatalog.masterKey))
        for secret in Self.nestedSecrets { #expect(!dump.contains(secret), "\(secret)") }

        // The service still has them, sealed, including the one sent back as the placeholder.
        let sealed = try await ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "vertex-1").litellmParams
        #expect(sealed[[.key("extra_headers"), .key("Authorization")]] == "Bearer sk-nested-header-secret-1")
        // "credentials" is itself a secret name: the whole object is sealed.
        #expect(sealed[[.key("credentials")]]?["private_key"] == "tok-credential-secret-2")
        #expect(sealed[[.key("proxies"), .index(0), .key("password")]] == "pw-secret-4")
        #expect(sealed[[.key("api_key")]] == "sk-test-123")
        await catalog.close()
    }

    @Test("the reporting views show no secret value")
    func reportingShowsNoSecret() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let created = try await client.json("/model/new", method: .post, body: Self.modelWithSecrets)
            #expect(created.status == .ok)
        }
        let text = try await catalog.pool.withConnection { connection in
            try connection.execute("BEGIN")
            defer { try? connection.execute("ROLLBACK") }
            try connection.execute("SET LOCAL ROLE catalog_reporting")
            return try connection.query("SELECT string_agg(row_to_json(d)::text, E'\\n') AS rows FROM reporting.deployments d")[0]
                .decode(String.self, "rows")
        }
        #expect(text.contains("vertex-1"))
        #expect(!text.contains("sk-test-123"))
        for secret in Self.nestedSecrets { #expect(!text.contains(secret)) }
        await catalog.close()
    }

    @Test("without a secret key a literal secret is refused with a 4xx; os.environ references are stored as written")
    func refusedWithoutKey() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(secretKey: nil)) { _, client in
            let refused = try await client.json("/model/new", method: .post, body: Self.modelWithSecrets)
            #expect(refused.status == .badRequest)
            #expect(refused.text.contains("CATALOG_SECRET_KEY"))
            #expect(!refused.text.contains("sk-test-123"))
            let reference = try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_key":"os.environ/OPENAI_API_KEY",
                 "extra_headers":{"Authorization":"os.environ/UPSTREAM_TOKEN"}},"model_info":{"id":"m-1"}}
                """)
            #expect(reference.status == .ok)
        }
        let stored = try await catalog.pool.query("SELECT litellm_params FROM models WHERE id = 'm-1'")
        let params = try stored[0].decode(PostgresJSONB.self, "litellm_params").text
        #expect(params.contains("os.environ/OPENAI_API_KEY"))
        #expect(params.contains("os.environ/UPSTREAM_TOKEN"))
        #expect(try await catalog.pool.query("SELECT count(*) AS n FROM models")[0].decode(Int.self, "n") == 1)
        await catalog.close()
    }

    @Test("secrets rotate re-seals everything under the new key in one transaction")
    func rotation() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        let old = TestCatalog.secretKey
        let new = SecretKey.generate().key
        let before = try await catalog.pool.query("SELECT count(*) AS n FROM model_secrets WHERE key_id = \(old.id)")[0].decode(Int.self, "n")
        #expect(before > 0)
        let count = try await SecretRotation.rotate(on: catalog.pool, from: old, to: new)
        #expect(count == before)
        #expect(try await catalog.pool.query("SELECT count(*) AS n FROM model_secrets WHERE key_id = \(new.id)")[0].decode(Int.self, "n") == before)
        #expect(try await ModelRepository(pool: catalog.pool, secretKey: new).secrets(id: "dep-0000").litellmParams[[.key("api_key")]] == "sk-test-123")
        await #expect(throws: CatalogError.self) { try await ModelRepository(pool: catalog.pool, secretKey: old).secrets(id: "dep-0000") }
        // A wrong "current" key moves nothing.
        let stranger = SecretKey.generate().key
        await #expect(throws: (any Error).self) { try await SecretRotation.rotate(on: catalog.pool, from: stranger, to: old) }
        #expect(try await catalog.pool.query("SELECT count(*) AS n FROM model_secrets WHERE key_id = \(new.id)")[0].decode(Int.self, "n") == before)
        await catalog.close()
    }
}

extension TestCatalog {
    /// `withClient` that hands back a value.
    func withClientResult<T: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let box = ResultBox<T>()
        try await withClient { client in box.set(try await body(client)) }
        return try box.get()
    }
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    func set(_ newValue: T) { lock.withLock { value = newValue } }
    func get() throws -> T {
        guard let value = lock.withLock({ value }) else { throw PostgresError(.misuse, message: "no value") }
        return value
    }
}
