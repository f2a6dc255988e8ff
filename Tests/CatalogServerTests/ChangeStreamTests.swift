import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// The change stream gateways follow (`/catalog/snapshot`, `/catalog/changes`, SSE
/// `/catalog/stream`), over real `serve` processes sharing one database: every change arrives in
/// seq order, whoever made it (API, CLI, plain SQL), and a resumed stream loses and duplicates
/// nothing, across a dropped connection, a replica restart and a killed listener.
@Suite("Change stream", .serialized)
struct ChangeStreamTests {
    static let masterKey = "sk-stream-\(UUID().uuidString.lowercased())"
    static let environment = ["LITELLM_MASTER_KEY": masterKey, "CATALOG_SECRET_KEY": SecretKey.generate().base64]

    static func start(_ conninfo: String) async throws -> ServerProcess {
        try await ServerProcess.start(["--database-url", conninfo, "--pool-size", "4"], environment: environment)
    }

    static func newModel(_ id: String, team: String? = nil, apiKey: String? = nil) -> String {
        let key = apiKey.map { #","api_key":"\#($0)""# } ?? ""
        let team = team.map { #","team_id":"\#($0)""# } ?? ""
        return #"{"model_name":"\#(id)","litellm_params":{"model":"openai/gpt-4o"\#(key)},"model_info":{"id":"\#(id)"\#(team)}}"#
    }

    /// Waits until `stream` has delivered at least `count` events.
    static func events(_ stream: EventStreamClient, atLeast count: Int, _ what: String) async throws -> [EventStreamClient.Event] {
        try await eventually(what, timeout: .seconds(30)) { await stream.events.count >= count }
        return await stream.events
    }

    /// The model ids of model events, in order.
    static func modelIDs(_ events: [EventStreamClient.Event]) -> [String] {
        events.compactMap { $0.json["entity"] as? String == "model" ? $0.json["id"] as? String : nil }
    }

    /// Ids of consecutive positions (an admin hears of every model change).
    static func expectConsecutive(_ events: [EventStreamClient.Event], after start: Int64,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let ids = events.compactMap(\.id)
        #expect(ids.count == events.count, "an event without id", sourceLocation: sourceLocation)
        #expect(ids == Array((start + 1)...(start + Int64(ids.count))), "ids are not consecutive from \(start + 1): \(ids)",
                sourceLocation: sourceLocation)
        for event in events {
            #expect(event.json["seq"] as? Int == event.id.map(Int.init), "data.seq differs from id", sourceLocation: sourceLocation)
        }
    }

    @Test("writes on A by API, CLI and SQL reach B's stream in seq order; resume after a drop, a restart and a killed listener",
          .timeLimit(.minutes(10)))
    func orderAndResume() async throws {
        let conninfo = try await TestDatabase.fresh()
        let a = try await Self.start(conninfo)
        var b = try await Self.start(conninfo)
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 2))
        defer { Task { await pool.close() } }
        do {
            let snapshot = try #require(try await b.request("GET", "/catalog/snapshot?include_cost_map=false", key: Self.masterKey)
                .json() as? [String: Any])
            let start = try #require(snapshot["seq"] as? Int)
            var stream = try await EventStreamClient.open(b.baseURL + "/catalog/stream?include_cost_map=false&after=\(start)",
                                                          key: Self.masterKey)
            #expect(stream.status == 200)
            #expect(stream.headers["Content-Type"].first == "text/event-stream")

            // API, then CLI, then plain SQL, all on A's side.
            let created = try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("by-api"))
            #expect(created.status == 200, "\(created.text)")
            let config = try TemporaryDirectory()
            defer { config.remove() }
            let file = config.path + "/config.yaml"
            try "model_list:\n  - model_name: by-cli\n    litellm_params:\n      model: openai/gpt-4o-mini\n    model_info:\n      id: by-cli\n"
                .write(toFile: file, atomically: true, encoding: .utf8)
            let imported = try await ServerProcess.run(["import-config", file, "--database-url", conninfo],
                                                       environment: Self.environment, timeout: .seconds(120))
            #expect(imported.termination == .exited(0), "\(imported.output)")
            try await pool.query("UPDATE models SET model_name = \("by-sql") WHERE id = \("by-api")")
            try await pool.query("DELETE FROM models WHERE id = \("by-cli")")

            var events = try await Self.events(stream, atLeast: 4, "B's stream delivers the four changes")
            Self.expectConsecutive(events, after: Int64(start))
            #expect(Self.modelIDs(events) == ["by-api", "by-cli", "by-api", "by-cli"])
            #expect(events.map { $0.json["op"] as? String } == ["upsert", "upsert", "upsert", "delete"])
            // The object is the model's state when the event is sent, at least as new as the change.
            let names = events.prefix(3).compactMap { ($0.json["object"] as? [String: Any])?["model_name"] as? String }
            #expect(names.count == 3 && ["by-api", "by-sql"].contains(names[0]) && names[1] == "by-cli" && names[2] == "by-sql",
                    "\(names)")
            // The write answered with its seq, the first event's.
            #expect(created.headers["X-Catalog-Seq"] == events.first?.id.map(String.init), "\(created.headers)")

            // Drop the connection, write meanwhile, resume with Last-Event-ID: nothing missing or twice.
            let lastSeen = try #require(events.last?.id)
            stream.close()
            for index in 1...3 {
                #expect(try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("dropped-\(index)")).status == 200)
            }
            stream = try await EventStreamClient.open(b.baseURL + "/catalog/stream?include_cost_map=false&after=0",
                                                      key: Self.masterKey, lastEventID: lastSeen)
            events = try await Self.events(stream, atLeast: 3, "the resumed stream delivers what was written meanwhile")
            Self.expectConsecutive(events, after: lastSeen)
            #expect(Self.modelIDs(events) == ["dropped-1", "dropped-2", "dropped-3"])

            // Restart B; write while it is down; resume on the new process.
            let beforeRestart = try #require(events.last?.id)
            stream.close()
            await b.stop()
            for index in 1...2 {
                #expect(try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("restart-\(index)")).status == 200)
            }
            b = try await Self.start(conninfo)
            stream = try await EventStreamClient.open(b.baseURL + "/catalog/stream?include_cost_map=false",
                                                      key: Self.masterKey, lastEventID: beforeRestart)
            events = try await Self.events(stream, atLeast: 2, "the restarted replica's stream resumes")
            Self.expectConsecutive(events, after: beforeRestart)
            #expect(Self.modelIDs(events) == ["restart-1", "restart-2"])

            // Kill every listener's connection: B's open stream goes on, and misses nothing.
            let killed = try await pool.query("""
                SELECT count(pg_terminate_backend(pid)) AS killed FROM pg_stat_activity
                WHERE query ILIKE 'LISTEN%' AND datname = current_database()
                """)[0].decode(Int64.self, "killed")
            // Only this test's database: suites running beside it keep their listeners.
            #expect(killed >= 2, "found \(killed) listeners")
            for index in 1...3 {
                #expect(try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("relisten-\(index)")).status == 200)
            }
            events = try await Self.events(stream, atLeast: 5, "the stream follows after the listeners reconnect")
            Self.expectConsecutive(events, after: beforeRestart)
            #expect(Self.modelIDs(events) == ["restart-1", "restart-2", "relisten-1", "relisten-2", "relisten-3"])
            stream.close()

            // /catalog/changes pages the same positions.
            let page = try #require(try await b.request("GET", "/catalog/changes?include_cost_map=false&after=\(start)&limit=4",
                                                        key: Self.masterKey).json() as? [String: Any])
            #expect(page["after"] as? Int == start)
            #expect(page["seq"] as? Int == start + 4)
            #expect(page["has_more"] as? Bool == true)
            #expect((page["changes"] as? [[String: Any]])?.compactMap { $0["seq"] as? Int } == Array((start + 1)...(start + 4)))

            // A pruned cursor is refused with 410, on both endpoints, in the error shape.
            try await pool.query("DELETE FROM changes WHERE pos <= \(Int64(start + 2))")
            let gone = try await b.request("GET", "/catalog/changes?after=\(start)", key: Self.masterKey)
            #expect(gone.status == 410, "\(gone.text)")
            #expect(((gone.json() as? [String: Any])?["error"] as? [String: Any])?["message"] as? String != nil)
            let goneStream = try await EventStreamClient.open(b.baseURL + "/catalog/stream", key: Self.masterKey, lastEventID: Int64(start))
            #expect(goneStream.status == 410, "\(goneStream.errorBody)")
            // Just past the pruned part is fine; ahead of the log is refused too.
            #expect(try await b.request("GET", "/catalog/changes?after=\(start + 2)", key: Self.masterKey).status == 200)
            #expect(try await b.request("GET", "/catalog/changes?after=999999", key: Self.masterKey).status == 410)
            #expect(try await b.request("GET", "/catalog/changes?after=-1", key: Self.masterKey).status == 400)
        } catch {
            await a.stop()
            await b.stop()
            throw error
        }
        await a.stop()
        await b.stop()
    }

    @Test("X-Catalog-Seq on writes; X-Catalog-Min-Seq makes another replica's read include the write", .timeLimit(.minutes(5)))
    func readYourWritesAnywhere() async throws {
        let conninfo = try await TestDatabase.fresh()
        try await ServerProcess.with(["--database-url", conninfo], environment: Self.environment) { a in
            try await ServerProcess.with(["--database-url", conninfo], environment: Self.environment) { b in
                for index in 1...5 {
                    let created = try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("ryw-\(index)"))
                    let seq = try #require(created.headers["X-Catalog-Seq"], "no X-Catalog-Seq: \(created.headers)")
                    let read = try await b.request("GET", "/model/info?litellm_model_id=ryw-\(index)", key: Self.masterKey,
                                                   headers: ["X-Catalog-Min-Seq": seq])
                    #expect(read.status == 200, "B did not include seq \(seq): \(read.text)")
                }
                // A read-only request commits nothing and says no seq.
                #expect(try await a.request("GET", "/model/info", key: Self.masterKey).headers["X-Catalog-Seq"] == nil)
                let ahead = try await b.request("GET", "/model/info", key: Self.masterKey, headers: ["X-Catalog-Min-Seq": "999999"])
                #expect(ahead.status == 400, "\(ahead.text)")
                #expect(try await b.request("GET", "/model/info", key: Self.masterKey, headers: ["X-Catalog-Min-Seq": "x"]).status == 400)
            }
        }
    }

    @Test("GET /fleet on any replica lists every replica and every stream subscriber with its lag; admins only",
          .timeLimit(.minutes(5)))
    func fleet() async throws {
        let conninfo = try await TestDatabase.fresh()
        try await ServerProcess.with(["--database-url", conninfo], environment: Self.environment) { a in
            try await ServerProcess.with(["--database-url", conninfo], environment: Self.environment) { b in
                let generated = try await a.request("POST", "/key/generate", key: Self.masterKey, json: #"{"key_alias":"gw-1"}"#)
                let key = try #require((generated.json() as? [String: Any])?["key"] as? String)
                // The key reaches B through the change log: until then B does not know it.
                var opened: EventStreamClient?
                try await eventually("B knows the new key") {
                    let stream = try await EventStreamClient.open(b.baseURL + "/catalog/stream?include_cost_map=false", key: key)
                    if stream.status == 200 { opened = stream }
                    return opened != nil
                }
                let stream = try #require(opened)
                #expect(try await a.request("POST", "/model/new", key: Self.masterKey, json: Self.newModel("fleet-1")).status == 200)
                var fleet: [String: Any] = [:]
                try await eventually("A's /fleet lists both replicas and B's subscriber, caught up") {
                    fleet = try await a.request("GET", "/fleet", key: Self.masterKey).json() as? [String: Any] ?? [:]
                    let replicas = fleet["replicas"] as? [[String: Any]] ?? []
                    let subscribers = fleet["subscribers"] as? [[String: Any]] ?? []
                    return replicas.count == 2 && replicas.allSatisfy { $0["lag"] as? Int == 0 }
                        && subscribers.count == 1 && subscribers.first?["lag"] as? Int == 0
                }
                let metrics = try await b.request("GET", "/metrics").text
                #expect(metrics.contains("catalog_stream_subscribers 1"), "\(metrics.prefix(3000))")
                #expect(metrics.contains("catalog_stream_subscriber_max_lag 0"))
                let subscriber = try #require((fleet["subscribers"] as? [[String: Any]])?.first)
                #expect(subscriber["key_alias"] as? String == "gw-1")
                #expect((subscriber["remote_address"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(subscriber)")
                #expect(!(try await a.request("GET", "/fleet", key: Self.masterKey).text.contains(key)), "a key's text in /fleet")
                #expect(try await a.request("GET", "/fleet", key: key).status == 403)
                stream.close()
                try await eventually("the closed subscriber leaves the fleet") {
                    let fleet = try await a.request("GET", "/fleet", key: Self.masterKey).json() as? [String: Any] ?? [:]
                    return (fleet["subscribers"] as? [Any])?.isEmpty == true
                }
            }
        }
    }
}
