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

/// One replica of the service, built by the composition root as `serve` builds it: its own
/// pool, snapshot and listener, as a separate process has.
struct Replica {
    let built: CatalogApplication

    var cache: ReplicaCache { built.cache! }
    var app: Application<RouterResponder<CatalogRequestContext>> { built.application }

    static func start(conninfo: String, name: String, listenerDownLimit: Duration = .seconds(30),
                      metrics: CatalogMetrics = CatalogMetrics(), readConninfo: String? = nil) async throws -> Replica {
        let configuration = CatalogConfiguration(
            database: .init(conninfo: conninfo + " application_name=\(name)", maxConnections: 4, acquireTimeout: .seconds(5),
                            secretKey: TestCatalog.secretKey, readConninfo: readConninfo.map { $0 + " application_name=\(name)" }),
            host: "127.0.0.1", port: 0, auth: AuthConfiguration(masterKey: TestCatalog.masterKey), metrics: metrics,
            replica: ReplicaOptions(listenerDownLimit: listenerDownLimit, pollInterval: .milliseconds(500), maxBackoff: .milliseconds(500)))
        return Replica(built: try await buildApplication(configuration: configuration, logger: Logger(label: name)))
    }

    /// Closes the pool (the application closes it too when it stops; closing twice is harmless).
    func close() async { await built.database.close() }
}

/// Polls `condition` until it holds or `timeout` passes; records an issue on timeout.
func eventually(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("timed out waiting until \(what)")
}

extension TestClientProtocol {
    func modelIDs() async throws -> Set<String> {
        let data = (try await json("/model/info").body as? [String: Any])?["data"] as? [[String: Any]] ?? []
        return Set(data.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String })
    }

    func readiness() async throws -> [String: Any] {
        (try await json("/health/readiness", headers: [:]).body as? [String: Any]) ?? [:]
    }
}

@Suite("Replicas share one live catalog", .serialized)
struct ReplicaTests {
    static func newModel(_ id: String, name: String? = nil) -> String {
        #"{"model_name":"\#(name ?? id)","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"\#(id)"}}"#
    }

    @Test("a write on A is returned by B; a plain-SQL UPDATE by both; cache and query paths give identical bytes")
    func propagation() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "replica-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "replica-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("written-on-a")).status == .ok)
                // Read-your-writes on A: no waiting.
                #expect(try await clientA.modelIDs().contains("written-on-a"))
                try await eventually("B returns the model written on A") { try await clientB.modelIDs().contains("written-on-a") }

                try await catalog.pool.query("UPDATE models SET model_name = \("renamed-by-sql") WHERE id = \("dep-0001")")
                for client in [clientA, clientB] {
                    try await eventually("the SQL rename shows") {
                        let data = (try await client.json("/model/info?litellm_model_id=dep-0001").body as? [String: Any])?["data"] as? [[String: Any]]
                        return data?.first?["model_name"] as? String == "renamed-by-sql"
                    }
                }
                // The snapshot path and the query path answer the same bytes for the same state.
                try await catalog.withClient { direct in
                    for uri in ["/model/info", "/v1/models", "/model_group/info", "/v2/model/info?page=2&size=7", "/v1/models/gpt-4o-000"] {
                        let cached = try await clientB.json(uri)
                        let queried = try await direct.json(uri)
                        #expect(cached.status == .ok)
                        #expect(cached.text == queried.text, "\(uri)")
                    }
                }
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("B's listener killed with pg_terminate_backend, 100 writes on A: once ready, B returns all 100")
    func listenerKilled() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "replica-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "replica-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                try await eventually("B's listener is connected") { try await clientB.readiness()["listener"] as? String == "connected" }
                let killed = try await catalog.pool.query("""
                    SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                    WHERE application_name = 'replica-b' AND query LIKE 'LISTEN%' AND datname = current_database()
                    """)
                #expect(killed.count == 1)
                for index in 0..<100 {
                    #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("burst-\(index)")).status == .ok)
                }
                try await eventually("B reconnected and caught up") {
                    let ready = try await clientB.readiness()
                    return ready["listener"] as? String == "connected" && (ready["listener_reconnects"] as? Int ?? 0) >= 1
                }
                // The last writes' notifications may still be in flight; none may be lost.
                try await eventually("B returns all 100") {
                    let ids = try await clientB.modelIDs()
                    return (0..<100).allSatisfy { ids.contains("burst-\($0)") }
                }
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("across a PostgreSQL restart: reads answer from the snapshot, writes 503, both recover, B gets every write")
    func databaseRestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-restart-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let embedded = EmbeddedPostgres(configuration: .init(directory: directory, unsafeFastWrites: true))
        try await embedded.start()
        do {
            let setup = PostgresConnectionPool(configuration: .init(conninfo: embedded.conninfo()))
            try await MigrationRunner(migrations: try Migration.bundled()).run(on: setup)
            try await CostMapRepository(pool: setup).seedIfEmpty()
            await setup.close()
            let a = try await Replica.start(conninfo: embedded.conninfo(), name: "replica-a", listenerDownLimit: .seconds(1))
            let b = try await Replica.start(conninfo: embedded.conninfo(), name: "replica-b", listenerDownLimit: .seconds(1))
            try await a.app.test(.router) { clientA in
                try await b.app.test(.router) { clientB in
                    #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("before")).status == .ok)
                    try await eventually("B has the first model") { try await clientB.modelIDs().contains("before") }
                    #expect(try await clientA.json("/team/new", method: .post, body: #"{"team_id":"team-r"}"#).status == .ok)
                    let generated = try await clientA.json(
                        "/key/generate", method: .post, body: #"{"team_id":"team-r","role":"tenant_member"}"#)
                    let memberKey = try #require((generated.body as? [String: Any])?["key"] as? String)
                    let member: HTTPFields = [.authorization: "Bearer \(memberKey)"]
                    try await eventually("B knows the new key") { try await clientB.json("/model/info", headers: member).status == .ok }

                    try await embedded.stop()
                    // Reads keep answering from the snapshot; writes say 503 in the error shape.
                    #expect(try await clientA.json("/model/info").status == .ok)
                    #expect(try await clientB.modelIDs().contains("before"))
                    let refused = try await clientA.json("/model/new", method: .post, body: Self.newModel("while-down"))
                    #expect(refused.status == .serviceUnavailable)
                    #expect(((refused.body as? [String: Any])?["error"] as? [String: Any])?["type"] as? String == "service_unavailable")
                    try await eventually("readiness fails once the listener is down past its limit") {
                        try await clientB.readiness()["status"] as? String == "unhealthy"
                    }
                    // Past the limit the snapshot's keys are not trusted (one may have been
                    // deleted meanwhile): keys are checked in the database, which is away.
                    #expect(try await clientB.json("/model/info", headers: member).status == .serviceUnavailable)
                    #expect(try await clientB.json("/model/info").status == .ok, "the master key needs no lookup")

                    try await embedded.start()
                    try await eventually("A accepts writes again", timeout: .seconds(30)) {
                        try await clientA.json("/model/new", method: .post, body: Self.newModel("after-0")).status == .ok
                    }
                    for index in 1..<100 {
                        #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("after-\(index)")).status == .ok)
                    }
                    try await eventually("B is ready again", timeout: .seconds(30)) {
                        try await clientB.readiness()["status"] as? String == "healthy"
                    }
                    try await eventually("B returns all 100 writes made after the restart") {
                        let ids = try await clientB.modelIDs()
                        return (0..<100).allSatisfy { ids.contains("after-\($0)") }
                    }
                    #expect(try await clientB.modelIDs().contains("while-down") == false)
                    #expect(try await clientB.json("/model/info", headers: member).status == .ok, "the key works again")
                }
            }
            await a.close()
            await b.close()
        } catch {
            try? await embedded.stop()
            throw error
        }
        try await embedded.stop()
    }
}
