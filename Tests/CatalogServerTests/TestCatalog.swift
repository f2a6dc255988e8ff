import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing
import TestSupport

/// A migrated test database with the bundled cost map, optionally the reference config's models,
/// and the application over it.
struct TestCatalog {
    static let masterKey = "sk-1234"
    /// The key that seals the test catalog's secrets.
    static let secretKey = SecretKey.generate().key
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/litellm")

    let conninfo: String
    let pool: PostgresConnectionPool

    static func make(loadReferenceConfig: Bool = false) async throws -> TestCatalog {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 4))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        try await CostMapRepository(pool: pool).seedIfEmpty()
        if loadReferenceConfig {
            let config = try LiteLLMConfig.load(path: fixtures.appendingPathComponent("config.yaml").path)
            _ = try await ConfigModelLoader(pool: pool, secretKey: secretKey).load(config.models)
        }
        return TestCatalog(conninfo: conninfo, pool: pool)
    }

    /// The configuration of an application over this catalog: the master key, the test secret
    /// key, reads from the database (`replica` nil) unless a test asks for a replica cache.
    func configuration(replica: ReplicaOptions? = nil, secretKey: SecretKey? = TestCatalog.secretKey,
                       metrics: CatalogMetrics = CatalogMetrics(), applicationName: String? = nil) -> CatalogConfiguration {
        CatalogConfiguration(
            database: .init(conninfo: conninfo + (applicationName.map { " application_name=\($0)" } ?? ""),
                            maxConnections: 4, acquireTimeout: .seconds(5), secretKey: secretKey),
            host: "127.0.0.1", port: 0, auth: AuthConfiguration(masterKey: Self.masterKey), metrics: metrics, replica: replica)
    }

    /// Runs `body` against the application built by the composition root from `configuration`.
    func withApplication(
        _ configuration: CatalogConfiguration? = nil, logger: Logger = Logger(label: "test"),
        _ body: @escaping @Sendable (CatalogApplication, any TestClientProtocol) async throws -> Void
    ) async throws {
        let built = try await buildApplication(configuration: configuration ?? self.configuration(), logger: logger)
        try await built.application.test(.router) { client in try await body(built, client) }
    }

    func withClient(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await withApplication { _, client in try await body(client) }
    }

    func close() async { await pool.close() }

    static func reference(_ name: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }
}

/// The admin header of every test request.
let adminHeaders: HTTPFields = [.authorization: "Bearer \(TestCatalog.masterKey)", .contentType: "application/json"]

extension TestClientProtocol {
    /// Sends a request and returns the status and the parsed JSON body.
    func json(_ uri: String, method: HTTPRequest.Method = .get, headers: HTTPFields = adminHeaders, body: String? = nil)
        async throws -> (status: HTTPResponse.Status, body: Any?, text: String)
    {
        try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            return (response.status, try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]), text)
        }
    }
}

/// The key paths where two JSON documents differ in shape: an object key present in one and not
/// the other, recursively; arrays compare their elements pairwise.
func shapeDifferences(_ ours: Any?, _ reference: Any?, path: String = "$") -> [String] {
    switch (ours, reference) {
    case (let lhs as [String: Any], let rhs as [String: Any]):
        var differences: [String] = []
        for key in Set(lhs.keys).union(rhs.keys).sorted() {
            switch (lhs[key], rhs[key]) {
            case (nil, _): differences.append("\(path).\(key) missing")
            case (_, nil): differences.append("\(path).\(key) extra")
            case (let left, let right):
                if left is [String: Any] || right is [String: Any] || left is [Any] || right is [Any] {
                    differences += shapeDifferences(left, right, path: "\(path).\(key)")
                }
            }
        }
        return differences
    case (let lhs as [Any], let rhs as [Any]):
        if lhs.count != rhs.count { return ["\(path) has \(lhs.count) items, reference \(rhs.count)"] }
        return zip(lhs, rhs).enumerated().flatMap { index, pair in shapeDifferences(pair.0, pair.1, path: "\(path)[\(index)]") }
    default:
        return []
    }
}
