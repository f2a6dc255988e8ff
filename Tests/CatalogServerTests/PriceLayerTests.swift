import Catalog
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// Price layers (issue 14): the cost map, operators' overrides and deployments' own prices stay
/// apart; /model/info says per price where it came from; a reload never erases an override and
/// flags the ones whose upstream moved; an edit never pins the map's prices into a deployment.
@Suite("Price layers", .serialized)
struct PriceLayerTests {
    static let upstreamInput = 2.5e-06  // gpt-4o's input_cost_per_token in the bundled map

    static func info(_ client: any TestClientProtocol, _ id: String) async throws -> [String: Any] {
        let body = try await client.json("/model/info?litellm_model_id=\(id)").body as? [String: Any]
        return ((body?["data"] as? [[String: Any]])?.first?["model_info"] as? [String: Any]) ?? [:]
    }

    static func provenance(_ info: [String: Any], _ field: String) -> String? {
        (info["price_provenance"] as? [String: Any])?[field] as? String
    }

    /// The bundled map with gpt-4o's input price set to `price`.
    static func map(gpt4oInput price: Double) throws -> CostMapDocument {
        let bundled = try CostMapDocument.bundled()
        var object = try #require(try JSONSerialization.jsonObject(with: Data(bundled.text.utf8)) as? [String: Any])
        var entry = try #require(object["gpt-4o"] as? [String: Any])
        entry["input_cost_per_token"] = price
        object["gpt-4o"] = entry
        return try CostMapDocument(data: try JSONSerialization.data(withJSONObject: object))
    }

    @Test("an override shows with its provenance on two replicas, survives reloads, flags drift, and a reload of the same map flags nothing")
    func overrideAcrossReloads() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "prices-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "prices-b")
        let costs = CostMapRepository(pool: catalog.pool)
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                #expect(try await clientA.json("/model/new", method: .post, body: """
                    {"model_name":"gpt-4o","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"mapped"}}
                    """).status == .ok)
                #expect(try await clientA.json("/model/new", method: .post, body: """
                    {"model_name":"gpt-4o","litellm_params":{"model":"openai/gpt-4o","input_cost_per_token":9e-06},"model_info":{"id":"own"}}
                    """).status == .ok)
                let before = try await Self.info(clientA, "mapped")
                #expect(before["input_cost_per_token"] as? Double == Self.upstreamInput)
                #expect(Self.provenance(before, "input_cost_per_token") == "cost_map")

                let set = try await clientA.json("/cost_map/overrides", method: .post, body: """
                    {"model":"gpt-4o","prices":{"input_cost_per_token":1e-06},"note":"negotiated"}
                    """)
                #expect(set.status == .ok, "\(set.text)")
                for client in [clientA, clientB] {
                    try await eventually("the override shows") {
                        try await Self.info(client, "mapped")["input_cost_per_token"] as? Double == 1e-06
                    }
                    let mapped = try await Self.info(client, "mapped")
                    #expect(Self.provenance(mapped, "input_cost_per_token") == "override")
                    #expect(Self.provenance(mapped, "output_cost_per_token") == "cost_map")
                    #expect(mapped["pricing_drift"] as? Bool == false)
                    let own = try await Self.info(client, "own")
                    #expect(own["input_cost_per_token"] as? Double == 9e-06)
                    #expect(Self.provenance(own, "input_cost_per_token") == "deployment")
                }

                // Upstream moves: the override stays, and is flagged.
                try await costs.replace(with: try Self.map(gpt4oInput: 3e-06), force: false, actor: "test")
                // Both replicas learn of the reload from the log (it was made with the repository).
                for client in [clientA, clientB] {
                    try await eventually("the drift shows") { try await Self.info(client, "mapped")["pricing_drift"] as? Bool == true }
                }
                let drifted = try await Self.info(clientA, "mapped")
                #expect(drifted["input_cost_per_token"] as? Double == 1e-06)
                #expect(drifted["pricing_drift"] as? Bool == true)
                #expect(try await Self.info(clientA, "own")["input_cost_per_token"] as? Double == 9e-06)
                let flagged = try await clientA.json("/cost_map/overrides?drift=true")
                let listed = (flagged.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                #expect(listed.map { $0["model"] as? String } == ["gpt-4o"])
                #expect(listed.first?["drifted_fields"] as? [String] == ["input_cost_per_token"])

                // The same map as when the override was set: nothing is flagged.
                try await costs.replace(with: try CostMapDocument.bundled(), force: false, actor: "test")
                for client in [clientA, clientB] {
                    try await eventually("no drift shows") { try await Self.info(client, "mapped")["pricing_drift"] as? Bool == false }
                }
                let none = try await clientA.json("/cost_map/overrides?drift=true")
                #expect(((none.body as? [String: Any])?["data"] as? [Any])?.isEmpty == true)
                #expect(try await Self.info(clientA, "mapped")["input_cost_per_token"] as? Double == 1e-06)

                // Deleted: the map's price again.
                #expect(try await clientA.json("/cost_map/overrides/gpt-4o", method: .delete).status == .ok)
                try await eventually("B follows the map again") {
                    try await Self.info(clientB, "mapped")["input_cost_per_token"] as? Double == Self.upstreamInput
                }
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }

    @Test("an edit that echoes a read's model_info stores none of the map's prices or limits, and the model keeps following the map")
    func editDoesNotPin() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/model/new", method: .post, body: """
                {"model_name":"gpt-4o","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"ui-edit","tier":"free"}}
                """).status == .ok)
            // What a UI does: read the entry, change one field, send the whole model_info back.
            var echoed = try await Self.info(client, "ui-edit")
            #expect(echoed["input_cost_per_token"] as? Double == Self.upstreamInput)
            echoed["tier"] = "paid"
            let body = try JSONSerialization.data(withJSONObject: ["model_info": echoed])
            let saved = try await client.json("/model/ui-edit/update", method: .patch, body: String(decoding: body, as: UTF8.self))
            #expect(saved.status == .ok, "\(saved.text)")

            let row = try await catalog.pool.query("SELECT model_info::text AS info FROM models WHERE id = \("ui-edit")")
            let stored = try #require(try JSONSerialization.jsonObject(with: Data(try row[0].decode(String.self, "info").utf8)) as? [String: Any])
            #expect(stored["tier"] as? String == "paid")
            for field in ["input_cost_per_token", "output_cost_per_token", "max_input_tokens", "version", "price_provenance", "key"] {
                #expect(stored[field] == nil, "\(field) was stored from an echo")
            }
            // A price the caller changed is its own, and is stored.
            let own = try await client.json("/model/ui-edit/update", method: .patch, body: #"{"model_info":{"output_cost_per_token":4e-05}}"#)
            #expect(own.status == .ok)

            try await CostMapRepository(pool: catalog.pool).replace(with: try Self.map(gpt4oInput: 3e-06), force: false, actor: "test")
            let after = try await Self.info(client, "ui-edit")
            #expect(after["input_cost_per_token"] as? Double == 3e-06, "the model follows the map")
            #expect(Self.provenance(after, "input_cost_per_token") == "cost_map")
            #expect(after["output_cost_per_token"] as? Double == 4e-05)
            #expect(Self.provenance(after, "output_cost_per_token") == "deployment")
        }
        await catalog.close()
    }

    @Test("overrides: admins only, prices checked, If-Match held, and the CLI sets, lists and deletes", .timeLimit(.minutes(3)))
    func endpointsAndCommand() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/cost_map/overrides", method: .post, body: #"{"model":"gpt-4o","prices":{"tier":1}}"#).status == .badRequest)
            #expect(try await client.json("/cost_map/overrides", method: .post, body: #"{"model":"gpt-4o","prices":{"input_cost_per_token":-1}}"#).status == .badRequest)
            #expect(try await client.json("/cost_map/overrides", method: .post, body: #"{"prices":{"input_cost_per_token":1}}"#).status == .badRequest)
            #expect(try await client.json("/cost_map/overrides/nope", method: .delete).status == .notFound)
            _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"t"}"#)
            let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"t","role":"tenant_admin"}"#)
            var team = adminHeaders
            team[.authorization] = "Bearer \((generated.body as? [String: Any])?["key"] as? String ?? "")"
            let refused = try await client.json("/cost_map/overrides", method: .post, headers: team,
                                                body: #"{"model":"gpt-4o","prices":{"input_cost_per_token":1e-06}}"#)
            #expect(refused.status == .forbidden)
            #expect(try await client.json("/cost_map/overrides", headers: team).status == .ok)

            let first = try await client.execute(uri: "/cost_map/overrides", method: .post, headers: adminHeaders,
                                                 body: ByteBuffer(string: #"{"model":"gpt-4o","prices":{"input_cost_per_token":1e-06}}"#)) {
                ($0.status, $0.headers[.eTag])
            }
            #expect(first.0 == .ok)
            var stale = adminHeaders
            stale[.ifMatch] = "\"999\""
            #expect(try await client.json("/cost_map/overrides", method: .post, headers: stale,
                                          body: #"{"model":"gpt-4o","prices":{"input_cost_per_token":2e-06}}"#).status == .preconditionFailed)
            var current = adminHeaders
            current[.ifMatch] = first.1 ?? ""
            #expect(try await client.json("/cost_map/overrides/gpt-4o", method: .delete, headers: current).status == .ok)
        }
        let set = try await ServerProcess.runSeparately(
            ["cost-map", "override", "set", "--model", "azure/gpt-4o", "--price", "input_cost_per_token=2e-06", "--database-url", catalog.conninfo],
            timeout: .seconds(120))
        #expect(set.termination == .exited(0), "\(set.stderr)")
        let listed = try await ServerProcess.runSeparately(
            ["cost-map", "override", "list", "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(listed.stdout.contains("\"model\":\"azure/gpt-4o\""), "\(listed.stdout)")
        try await catalog.withClient { client in
            let deleted = try await client.json("/cost_map/overrides/azure/gpt-4o", method: .delete)
            #expect(deleted.status == .ok)
        }
        let empty = try await ServerProcess.runSeparately(
            ["cost-map", "override", "delete", "--model", "azure/gpt-4o", "--database-url", catalog.conninfo], timeout: .seconds(120))
        #expect(empty.termination != .exited(0))
        #expect(empty.stderr.contains("no price override"), "\(empty.stderr)")
        await catalog.close()
    }
}
