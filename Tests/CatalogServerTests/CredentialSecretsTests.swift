import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Synchronization
import Testing

/// Every log line the application writes, with its metadata, as text.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    /// A logger writing here at every level.
    func logger(label: String) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(label: label, logs: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let label: String
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        logs.append("\(event.level) \(label) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
    }
}

/// Credential values never leave the service in clear (responses, logs, pg_dump), and a rotation
/// on one replica is what the other's deployments use.
@Suite("Credentials: secrets and replicas", .serialized)
struct CredentialSecretsTests {
    static let values = ["sk-credscan-value-1", "https://credscan-user:credscan-pass@proxy.example", "sk-credscan-rotated-2",
                         "credscan-vertex-private-3"]

    @Test("after credentials are created, rotated and used, no value is in any response, the server's log or pg_dump")
    func scan() async throws {
        let catalog = try await TestCatalog.make()
        let logs = CapturedLogs()
        var texts: [String] = []
        let collected = Mutex<[String]>([])
        for replica in [nil, ReplicaOptions(pollInterval: .milliseconds(200), maxBackoff: .milliseconds(500))] as [ReplicaOptions?] {
            try await catalog.withApplication(catalog.configuration(replica: replica), logger: logs.logger(label: "credscan")) { (_: CatalogApplication, client: any TestClientProtocol) async throws in
                func send(_ uri: String, _ method: HTTPRequest.Method = .get, _ body: String? = nil) async throws -> HTTPResponse.Status {
                    let response = try await client.json(uri, method: method, body: body)
                    collected.withLock { $0.append("\(uri) \(response.status.code) \(response.text)") }
                    return response.status
                }
                let suffix = replica == nil ? "db" : "cache"
                #expect(try await send("/team/new", .post, #"{"team_id":"scan-\#(suffix)"}"#) == .ok)
                #expect(try await send("/credentials", .post, """
                    {"credential_name":"scan-\(suffix)","credential_info":{"team_id":"scan-\(suffix)"},
                     "credential_values":{"api_key":"\(Self.values[0])","api_base":"\(Self.values[1])","vertex_credentials":{"private_key":"\(Self.values[3])"}}}
                    """) == .ok)
                #expect(try await send("/model/new", .post, """
                    {"model_name":"scan","litellm_params":{"model":"openai/gpt-4o","litellm_credential_name":"scan-\(suffix)"},
                     "model_info":{"id":"scan-model-\(suffix)","team_id":"scan-\(suffix)"}}
                    """) == .ok)
                #expect(try await send("/credentials/scan-\(suffix)", .patch,
                                       #"{"credential_info":{},"credential_values":{"api_key":"\#(Self.values[2])","api_base":"********","vertex_credentials":"********"}}"#) == .ok)
                // Refusals too: a duplicate, a phantom placeholder, a foreign use, an in-use delete.
                #expect(try await send("/credentials", .post, #"{"credential_name":"scan-\#(suffix)","credential_values":{"api_key":"\#(Self.values[0])"}}"#) == .conflict)
                #expect(try await send("/credentials/scan-\(suffix)", .patch, #"{"credential_values":{"nope":"********","api_key":"\#(Self.values[0])"}}"#) == .badRequest)
                #expect(try await send("/model/new", .post, #"{"model_name":"x","litellm_params":{"model":"openai/gpt-4o","litellm_credential_name":"scan-\#(suffix)"}}"#) == .badRequest)
                #expect(try await send("/credentials/scan-\(suffix)", .delete) == .conflict)
                for uri in ["/credentials", "/credentials/by_name/scan-\(suffix)", "/credentials/by_model/scan-model-\(suffix)",
                            "/model/info", "/model/info?litellm_model_id=scan-model-\(suffix)", "/v2/model/info", "/model_group/info",
                            "/v1/models", "/model/history?model_id=scan-model-\(suffix)"] {
                    #expect(try await send(uri) == .ok, "\(uri)")
                }
            }
        }
        texts = collected.withLock { $0 }
        // The service holds the rotated values, sealed.
        let repository = CredentialRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        let stored = try await repository.values(name: "scan-cache")
        #expect(stored?["api_key"] == .string(Self.values[2]))
        #expect(stored?["api_base"] == .string(Self.values[1]))
        #expect(stored?["vertex_credentials"]?["private_key"] == .string(Self.values[3]))

        let dump = try SecretsAtRestTests.dump(catalog.conninfo)
        #expect(dump.contains("scan-cache"))  // the dump is real
        #expect(dump.contains("credential_secrets"))
        let logText = logs.text
        #expect(logText.contains("credscan"))  // the log is real
        #expect(texts.count > 20)
        for value in Self.values {
            #expect(!dump.contains(value), "pg_dump holds \(value)")
            #expect(!logText.contains(value), "the log holds \(value)")
            for text in texts { #expect(!text.contains(value), "a response holds \(value): \(text.prefix(120))") }
        }
        // Reporting roles see no credential table at all.
        let grants = try await catalog.pool.query("""
            SELECT count(*) AS n FROM information_schema.role_table_grants
            WHERE table_name IN ('credentials', 'credential_secrets')
              AND grantee IN ('catalog_reporting', 'catalog_tenant_reporting', 'catalog_views')
            """)
        #expect(try grants[0].decode(Int.self, "n") == 0)
        await catalog.close()
    }

    @Test("a credential rotated on replica A is what replica B's deployments use, opened through B's store")
    func rotationAcrossReplicas() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "cred-replica-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "cred-replica-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                #expect(try await clientA.json("/credentials", method: .post,
                                               body: #"{"credential_name":"rot","credential_values":{"api_key":"sk-rot-1"}}"#).status == .ok)
                #expect(try await clientA.json("/model/new", method: .post, body: """
                    {"model_name":"rot","litellm_params":{"model":"openai/gpt-4o","litellm_credential_name":"rot"},"model_info":{"id":"rot-model"}}
                    """).status == .ok)
                // Read-your-writes on A, and B follows the log.
                #expect(a.cache.store.snapshot.credentials.credential(named: "rot")?.version == 1)
                try await eventually("B holds the credential and the model") {
                    b.cache.store.snapshot.credentials.credential(named: "rot") != nil && b.cache.store.snapshot.deployment(id: "rot-model") != nil
                }
                let listedOnB = try await clientB.json("/credentials/by_name/rot")
                #expect(listedOnB.status == .ok)
                #expect(!listedOnB.text.contains("sk-rot-1"))

                #expect(try await clientA.json("/credentials/rot", method: .patch,
                                               body: #"{"credential_info":{},"credential_values":{"api_key":"sk-rot-2"}}"#).status == .ok)
                #expect(a.cache.store.snapshot.credentials.credential(named: "rot")?.version == 2)
                try await eventually("B's snapshot has the rotated version") {
                    b.cache.store.snapshot.credentials.credential(named: "rot")?.version == 2
                }
                // B's deployment, as B's snapshot holds it, resolves through B's store to the new value.
                let deployment = try #require(b.cache.store.snapshot.deployment(id: "rot-model"))
                #expect(try await b.built.database.credentials.values(for: deployment) == ["api_key": "sk-rot-2"])
                let shownOnB = try await clientB.json("/credentials/by_model/rot-model")
                #expect(shownOnB.status == .ok)
                #expect((shownOnB.body as? [String: Any])?["version"] as? Int == 2)
                #expect(!shownOnB.text.contains("sk-rot"))
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("secrets rotate re-seals credentials under the new key; a sealed blob copied onto another credential does not open")
    func keyRotationAndBinding() async throws {
        let catalog = try await TestCatalog.make()
        let old = TestCatalog.secretKey
        let repository = CredentialRepository(pool: catalog.pool, secretKey: old)
        for name in ["one", "two"] {
            _ = try await repository.create(Credential(name: name), values: ["api_key": .string("sk-bind-\(name)")], actor: "test")
        }
        // Copying one's blob onto the other: the name is authenticated, so it does not open.
        try await catalog.pool.query("""
            UPDATE credential_secrets SET sealed = (SELECT sealed FROM credential_secrets WHERE credential_name = 'one')
            WHERE credential_name = 'two'
            """)
        await #expect(throws: CatalogError.self) { _ = try await repository.values(name: "two") }
        try await catalog.pool.query("DELETE FROM credentials WHERE name = 'two'")

        let new = SecretKey.generate().key
        #expect(try await SecretRotation.rotate(on: catalog.pool, from: old, to: new) == 1)
        #expect(try await CredentialRepository(pool: catalog.pool, secretKey: new).values(name: "one") == ["api_key": "sk-bind-one"])
        await #expect(throws: CatalogError.self) { _ = try await repository.values(name: "one") }
        let keyIDs = try await catalog.pool.query("SELECT DISTINCT key_id FROM credential_secrets")
        #expect(try keyIDs.map { try $0.decode(String.self, "key_id") } == [new.id])
        await catalog.close()
    }
}
