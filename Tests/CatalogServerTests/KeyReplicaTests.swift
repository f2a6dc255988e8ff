import Catalog
import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Key and team changes reach every replica's enforcement through the change log: a regenerated
/// key's old text, and a team's allow-list changed through the API or with plain SQL.
@Suite("Keys and team lists on two replicas", .serialized)
struct KeyReplicaTests {
    typealias K = KeyEndpointTests

    static func status(_ client: any TestClientProtocol, key: String) async throws -> HTTPResponse.Status {
        try await client.json("/model/info", headers: K.bearer(key)).status
    }

    @Test("a key regenerated on A: B refuses the old text and takes the new one")
    func regenerate() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "replica-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "replica-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                try await K.seed(clientA)
                let key = try await K.generate(clientA, ["team_id": "team-a"])
                let old = key["key"] as! String
                try await eventually("B knows the new key") { try await Self.status(clientB, key: old) == .ok }
                let regenerated = try await clientA.json("/key/regenerate", method: .post, body: K.body(["key": key["token"] as! String]))
                let new = try #require((regenerated.body as? [String: Any])?["key"] as? String)
                #expect(try await Self.status(clientA, key: old) == .unauthorized, "A refuses the old text at once")
                try await eventually("B refuses the old text") { try await Self.status(clientB, key: old) == .unauthorized }
                #expect(try await Self.status(clientB, key: new) == .ok)
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("a team's list changed on A, then with plain SQL, narrows the team's keys on A and B")
    func teamList() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "replica-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "replica-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                try await K.seed(clientA)
                let member = try await K.generate(clientA, ["team_id": "team-a"])["key"] as! String
                let everything: Set<String> = ["s-gpt", "s-claude", "a-gpt", "a-own"]
                try await eventually("B knows the key") { try await K.modelIDs(clientB, key: member) == everything }

                let update = try await clientA.json("/team/update", method: .post, body: K.body(["team_id": "team-a", "models": ["gpt-4o"]]))
                #expect(update.status == .ok, "\(update.text)")
                #expect(try await K.modelIDs(clientA, key: member) == ["s-gpt", "a-gpt"], "A at once")
                try await eventually("B narrows the key") { try await K.modelIDs(clientB, key: member) == ["s-gpt", "a-gpt"] }
                // A write outside the list is refused on B too.
                let admin = try await K.generate(clientA, ["team_id": "team-a", "role": "tenant_admin"])["key"] as! String
                try await eventually("B knows the team admin") { try await Self.status(clientB, key: admin) == .ok }
                K.expectError(try await clientB.json("/model/new", method: .post, headers: K.bearer(admin), body: K.model("b-new", "claude")), 403, "B")

                try await catalog.pool.query("UPDATE tenants SET models = \(["a-model"])::text[] WHERE id = \("team-a")")
                for client in [clientA, clientB] {
                    try await eventually("the SQL change narrows the key") { try await K.modelIDs(client, key: member) == ["a-own"] }
                }
                try await catalog.pool.query("UPDATE tenants SET models = '{}' WHERE id = \("team-a")")
                for client in [clientA, clientB] {
                    try await eventually("an empty list lifts it") { try await K.modelIDs(client, key: member) == everything }
                }
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }
}
