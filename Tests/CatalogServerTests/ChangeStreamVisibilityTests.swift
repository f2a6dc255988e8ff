import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// Who hears of what on the change stream: the same visibility and redaction as `/model/info`,
/// over the snapshot, the changes page and the stream alike. A team's key never gets another
/// team's object; no key but a gateway's gets a secret; nothing secret reaches the log.
@Suite("Change stream visibility", .serialized)
struct ChangeStreamVisibilityTests {
    static let secrets = ["sk-shared-LITERAL-1", "sk-team-a-LITERAL-2", "sk-team-b-LITERAL-3", "sk-cred-a-LITERAL-4"]

    struct Caller {
        var name: String
        var key: String
        /// The model ids it may ever hear of, and the credential names.
        var models: Set<String>
        var credentials: Set<String>
        /// Asks for the routing view (gateway keys), and the secrets it must get in it.
        var routing = false
        var opens: Set<String> = []
    }

    static func json(_ object: Any) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func model(_ id: String, team: String?, apiKey: String? = nil, credential: String? = nil) -> String {
        var params: [String: Any] = ["model": "openai/gpt-4o"]
        if let apiKey { params["api_key"] = apiKey }
        if let credential { params["litellm_credential_name"] = credential }
        var info: [String: Any] = ["id": id]
        if let team { info["team_id"] = team }
        return json(["model_name": id, "litellm_params": params, "model_info": info])
    }

    @Test("snapshot, changes and stream: team keys get their team's and shared objects only, redacted; nothing secret is logged",
          .timeLimit(.minutes(10)))
    func matrix() async throws {
        let conninfo = try await TestDatabase.fresh()
        let master = ChangeStreamTests.masterKey
        let server = try await ChangeStreamTests.start(conninfo)
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 2))
        do {
            func post(_ path: String, _ body: String) async throws -> [String: Any] {
                let response = try await server.request("POST", path, key: master, json: body)
                #expect(response.status == 200, "\(path): \(response.text)")
                return response.json() as? [String: Any] ?? [:]
            }
            for team in ["team-a", "team-b"] { _ = try await post("/team/new", Self.json(["team_id": team])) }
            func key(_ body: [String: Any]) async throws -> String {
                try #require(try await post("/key/generate", Self.json(body))["key"] as? String)
            }
            let callers = [
                Caller(name: "team-a member", key: try await key(["team_id": "team-a", "role": "tenant_member"]),
                       models: ["m-shared", "m-a", "m-a-cred", "m-moved", "m-marker"], credentials: ["cred-a"]),
                Caller(name: "team-b member", key: try await key(["team_id": "team-b", "role": "tenant_member"]),
                       models: ["m-shared", "m-b", "m-moved", "m-marker"], credentials: []),
                Caller(name: "team-a key limited to m-a", key: try await key(["team_id": "team-a", "role": "tenant_member", "models": ["m-a"]]),
                       models: ["m-a"], credentials: ["cred-a"]),
                Caller(name: "personal", key: try await key([:]), models: ["m-shared", "m-marker"], credentials: []),
                Caller(name: "shared gateway", key: try await key(["role": "gateway", "key_alias": "gw-shared"]),
                       models: ["m-shared", "m-a", "m-b", "m-a-cred", "m-moved", "m-marker"], credentials: ["cred-a"],
                       routing: true, opens: Set(Self.secrets)),
                Caller(name: "team-a gateway", key: try await key(["role": "gateway", "team_id": "team-a"]),
                       models: ["m-shared", "m-a", "m-a-cred", "m-moved", "m-marker"], credentials: ["cred-a"],
                       routing: true, opens: [Self.secrets[0], Self.secrets[1], Self.secrets[3]]),
            ]
            // Streams open before the writes, from the start of the log.
            var streams: [EventStreamClient] = []
            for caller in callers {
                let view = caller.routing ? "&view=routing" : ""
                let stream = try await EventStreamClient.open(server.baseURL + "/catalog/stream?after=0&include_cost_map=false\(view)",
                                                              key: caller.key)
                #expect(stream.status == 200, "\(caller.name): \(stream.errorBody)")
                streams.append(stream)
            }

            _ = try await post("/model/new", Self.model("m-shared", team: nil, apiKey: Self.secrets[0]))
            _ = try await post("/model/new", Self.model("m-a", team: "team-a", apiKey: Self.secrets[1]))
            _ = try await post("/model/new", Self.model("m-b", team: "team-b", apiKey: Self.secrets[2]))
            _ = try await post("/credentials", Self.json(["credential_name": "cred-a", "credential_values": ["api_key": Self.secrets[3]],
                                                          "credential_info": ["team_id": "team-a"]]))
            _ = try await post("/model/new", Self.model("m-a-cred", team: "team-a", credential: "cred-a"))
            // A model that moves from team A to team B with plain SQL: A's keys hear of it leaving.
            _ = try await post("/model/new", Self.model("m-moved", team: "team-a"))
            try await pool.query("UPDATE models SET tenant_id = \("team-b") WHERE id = \("m-moved")")
            _ = try await post("/model/new", Self.model("m-marker", team: nil))

            for (caller, stream) in zip(callers, streams) {
                let everyone = caller.models.contains("m-marker")
                if everyone {
                    try await eventually("\(caller.name)'s stream reaches the marker") {
                        ChangeStreamTests.modelIDs(await stream.events).contains("m-marker")
                    }
                } else {
                    // A key that hears of no marker: give the stream time to deliver everything else.
                    try await eventually("\(caller.name)'s stream delivers m-a") {
                        ChangeStreamTests.modelIDs(await stream.events).contains("m-a")
                    }
                    await pause(.seconds(1))
                }
                stream.close()
                let events = await stream.events
                let streamText = events.map(\.data).joined(separator: "\n")
                let view = caller.routing ? "?view=routing&" : "?"
                let snapshot = try await server.request("GET", "/catalog/snapshot\(view)include_cost_map=false", key: caller.key)
                let changes = try await server.request("GET", "/catalog/changes\(view)after=0&include_cost_map=false", key: caller.key)
                #expect(snapshot.status == 200 && changes.status == 200, "\(caller.name): \(snapshot.text) \(changes.text)")

                let snapshotBody = snapshot.json() as? [String: Any] ?? [:]
                let snapshotModels = Set((snapshotBody["models"] as? [[String: Any]] ?? []).compactMap {
                    ($0["model_info"] as? [String: Any])?["id"] as? String
                })
                let snapshotCredentials = Set((snapshotBody["credentials"] as? [[String: Any]] ?? []).compactMap { $0["credential_name"] as? String })
                let pageEvents = (changes.json() as? [String: Any])?["changes"] as? [[String: Any]] ?? []
                let heard = Set(ChangeStreamTests.modelIDs(events))
                    .union(pageEvents.compactMap { $0["entity"] as? String == "model" ? $0["id"] as? String : nil })
                    .union(snapshotModels)
                let heardCredentials = Set(events.compactMap { $0.json["entity"] as? String == "credential" ? $0.json["id"] as? String : nil })
                    .union(pageEvents.compactMap { $0["entity"] as? String == "credential" ? $0["id"] as? String : nil })
                    .union(snapshotCredentials)
                #expect(heard.isSubset(of: caller.models), "\(caller.name) heard of \(heard.subtracting(caller.models).sorted())")
                #expect(heardCredentials.isSubset(of: caller.credentials),
                        "\(caller.name) heard of credentials \(heardCredentials.subtracting(caller.credentials).sorted())")
                // It hears of what it may see.
                #expect(snapshotModels == caller.models.subtracting(["team-a member", "team-a gateway"].contains(caller.name) ? ["m-moved"] : []),
                        "\(caller.name)'s snapshot: \(snapshotModels.sorted())")
                for (label, text) in [("stream", streamText), ("snapshot", snapshot.text), ("changes", changes.text)] {
                    for secret in Self.secrets where !caller.opens.contains(secret) {
                        #expect(!text.contains(secret), "\(caller.name) got a secret it may not open in its \(label)")
                    }
                    // A gateway's routing view holds the secrets of what it routes, a credential's included.
                    for secret in caller.opens where label != "stream" || secret != Self.secrets[3] {
                        #expect(text.contains(secret), "\(caller.name)'s \(label) lacks a secret it routes with")
                    }
                }
                if caller.routing {
                    // Its own redacted reads stay redacted, and no cached answer holds a secret.
                    for path in ["/catalog/snapshot?include_cost_map=false", "/model/info", "/model/info"] {
                        let text = try await server.request("GET", path, key: caller.key).text
                        for secret in Self.secrets { #expect(!text.contains(secret), "\(caller.name)'s \(path) holds a secret") }
                    }
                    let models = (snapshotBody["models"] as? [[String: Any]] ?? [])
                    let credentialModel = models.first { ($0["model_info"] as? [String: Any])?["id"] as? String == "m-a-cred" }
                    let params = credentialModel?["litellm_params"] as? [String: Any]
                    #expect(params?["api_key"] as? String == Self.secrets[3] && params?["litellm_credential_name"] == nil,
                            "\(caller.name): the credential is not resolved: \(params.map { Array($0.keys) } ?? [])")
                } else {
                    // No key but a gateway's may ask for the routing view.
                    #expect(try await server.request("GET", "/catalog/snapshot?view=routing", key: caller.key).status == 403)
                    #expect(try await server.request("GET", "/catalog/changes?view=routing", key: caller.key).status == 403)
                }
            }
            // Team A's member heard m-moved leave: its last event for it is a deletion.
            let teamA = await streams[0].events.filter { $0.json["id"] as? String == "m-moved" }
            #expect(teamA.last?.json["op"] as? String == "delete", "\(teamA.map(\.data))")
            let teamB = await streams[1].events.filter { $0.json["id"] as? String == "m-moved" }
            #expect(teamB.last?.json["op"] as? String == "upsert", "\(teamB.map(\.data))")
        } catch {
            await server.stop()
            await pool.close()
            throw error
        }
        let metrics = try await server.request("GET", "/metrics").text
        #expect(metrics.contains("catalog_routing_view_opened_total{key=\""), "no routing-view count in /metrics")
        await server.stop()
        await pool.close()
        for secret in Self.secrets { #expect(!server.process.output.contains(secret), "a secret reached the log") }
    }
}
