import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing
import TestSupport

@Suite("Health endpoints")
struct HealthTests {
    @Test("liveliness answers LiteLLM's body; readiness is 200 with a migrated database")
    func healthy() async throws {
        let configuration = CatalogConfiguration(
            database: .init(conninfo: try await TestDatabase.fresh()), host: "127.0.0.1", port: 0, auth: .init(masterKey: "sk-test"))
        let app = try await buildApplication(configuration: configuration, logger: Logger(label: "test")).application
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/liveliness", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #""I'm alive!""#)
            }
            try await client.execute(uri: "/health/readiness", method: .get) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? String == "healthy")
                #expect(body?["db"] as? String == "connected")
                #expect(body?["schema_version"] as? String == (try Migration.bundled().last?.version))
            }
        }
    }

    @Test("readiness is 503 when the database does not answer")
    func unhealthy() async throws {
        // Nothing to prepare or load: the database never answers.
        let configuration = CatalogConfiguration(
            database: .init(conninfo: "host=/nonexistent-socket-dir port=1 dbname=x", acquireTimeout: .seconds(1)),
            host: "127.0.0.1", port: 0, auth: .init(masterKey: "sk-test"), prepareDatabase: false, replica: nil)
        let app = try await buildApplication(configuration: configuration, logger: Logger(label: "test")).application
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/readiness", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["status"] as? String == "unhealthy")
            }
            try await client.execute(uri: "/health/liveliness", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
