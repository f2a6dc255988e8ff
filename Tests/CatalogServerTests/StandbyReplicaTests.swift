import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// A replica that reads a hot standby (`serve --read-database-url`): it loads its snapshot and
/// follows the change log there, writes on the primary, reads its own writes back, and loses
/// nothing when the standby restarts. A primary and a streaming standby of Debian's PostgreSQL,
/// started by the test.
@Suite("A replica on a hot standby", .serialized)
struct StandbyReplicaTests {
    static func newModel(_ id: String) -> String {
        #"{"model_name":"\#(id)","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"\#(id)"}}"#
    }

    @Test("writes on the primary reach the standby replica; its own writes read back at once; a standby restart loses nothing")
    func followsTheStandby() async throws {
        let cluster = try await StreamingStandby.start()
        do {
            try await cluster.createDatabase("catalog")
            let primary = cluster.primaryConninfo(database: "catalog")
            let standby = cluster.standbyConninfo(database: "catalog")
            // A: on the primary, as every replica was. B: its snapshot and log from the standby.
            let a = try await Replica.start(conninfo: primary, name: "on-primary")
            let b = try await Replica.start(conninfo: primary, name: "on-standby", readConninfo: standby)
            try await a.app.test(.router) { clientA in
                try await b.app.test(.router) { clientB in
                    // B holds no LISTEN on the primary, nor any connection there but its writes'.
                    let check = try PostgresConnection(conninfo: primary)
                    let listening = try check.query("""
                        SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'on-standby' AND query LIKE 'LISTEN%'
                        """)[0].decode(Int64.self, "n")
                    check.close()
                    #expect(listening == 0)

                    #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("written-on-primary")).status == .ok)
                    try await eventually("B, following the standby, returns the model written through A") {
                        try await clientB.modelIDs().contains("written-on-primary")
                    }

                    // B's own write goes to the primary, and its reply waits for the standby to have it.
                    #expect(try await clientB.json("/model/new", method: .post, body: Self.newModel("written-on-b")).status == .ok)
                    #expect(try await clientB.modelIDs().contains("written-on-b"), "read-your-writes through the standby")

                    // The standby goes away: B keeps answering from its snapshot, then catches up.
                    try await cluster.stopStandby()
                    for index in 0..<20 {
                        #expect(try await clientA.json("/model/new", method: .post, body: Self.newModel("while-down-\(index)")).status == .ok)
                    }
                    #expect(try await clientB.json("/model/info").status == .ok, "reads go on from the snapshot")
                    try await eventually("B notices the standby is down") {
                        try await clientB.readiness()["listener"] as? String != "connected"
                    }
                    try await cluster.startStandby()
                    try await eventually("B returns every model written while the standby was down", timeout: .seconds(60)) {
                        let ids = try await clientB.modelIDs()
                        return (0..<20).allSatisfy { ids.contains("while-down-\($0)") }
                    }
                    try await eventually("B is ready again") {
                        try await clientB.readiness()["status"] as? String == "healthy"
                    }
                    // And both replicas agree byte for byte.
                    let fromA = try await clientA.json("/model/info")
                    let fromB = try await clientB.json("/model/info")
                    #expect(fromA.text == fromB.text)
                }
            }
            await a.close()
            await b.close()
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
