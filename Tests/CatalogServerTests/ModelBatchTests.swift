import Catalog
import CatalogStore
import Foundation
import Postgres
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// POST /model/batch (issue 14): all or nothing, one contiguous run of seqs, each operation the
/// write of its own endpoint.
@Suite("Model batches", .serialized)
struct ModelBatchTests {
    static func model(_ id: String, rpm: Int = 1) -> String {
        #"{"model_name":"\#(id)","litellm_params":{"model":"openai/gpt-4o","rpm":\#(rpm)},"model_info":{"id":"\#(id)"}}"#
    }

    /// Every table a batch could touch, as text: equal before and after means nothing changed.
    static func dump(_ catalog: TestCatalog) async throws -> String {
        var text = ""
        let queries: [PostgresQuery] = ["SELECT coalesce(string_agg(to_jsonb(m)::text, '\n' ORDER BY id), '') AS t FROM models m",
                      "SELECT coalesce(string_agg(to_jsonb(s)::text, '\n' ORDER BY model_id), '') AS t FROM model_secrets s",
                      "SELECT coalesce(string_agg(to_jsonb(c)::text, '\n' ORDER BY seq), '') AS t FROM changes c",
                      "SELECT coalesce(string_agg(to_jsonb(v)::text, '\n' ORDER BY entity, id), '') AS t FROM object_versions v"]
        for query in queries {
            text += try await catalog.pool.query(query)[0].decode(String.self, "t") + "\n--\n"
        }
        return text
    }

    @Test("a batch with one refused operation changes nothing, and says which one")
    func allOrNothing() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/model/new", method: .post, body: Self.model("b-1")).status == .ok)
            #expect(try await client.json("/model/new", method: .post, body: Self.model("b-2")).status == .ok)
            let before = try await Self.dump(catalog)
            let infoBefore = try await client.json("/model/info").text

            // The third operation holds a stale If-Match: the first two must not stay.
            let stale = try await client.json("/model/batch", method: .post, body: """
                {"operations":[{"op":"create","model":\(Self.model("b-3"))},
                               {"op":"update","id":"b-1","model":{"litellm_params":{"rpm":9}}},
                               {"op":"delete","id":"b-2","if_match":"\\"7\\""}]}
                """)
            #expect(stale.status == .preconditionFailed, "\(stale.text)")
            #expect(stale.text.contains("operations[2]"))
            // A bad body in the middle: 400 naming the field under its operation.
            let invalid = try await client.json("/model/batch", method: .post, body: """
                {"operations":[{"op":"delete","id":"b-2"},{"op":"create","model":{"model_name":"x","litellm_params":{}}}]}
                """)
            #expect(invalid.status == .badRequest)
            let param = ((invalid.body as? [String: Any])?["error"] as? [String: Any])?["param"] as? String
            #expect(param == "operations[1].litellm_params.model")
            // A missing model in the last operation: 404, and the delete before it undone.
            let missing = try await client.json("/model/batch", method: .post, body: """
                {"operations":[{"op":"delete","id":"b-2"},{"op":"update","id":"nope","model":{"litellm_params":{"rpm":2}}}]}
                """)
            #expect(missing.status == .notFound)
            // A duplicate id inside the batch: 409.
            let duplicate = try await client.json("/model/batch", method: .post, body: """
                {"operations":[{"op":"create","model":\(Self.model("b-4"))},{"op":"create","model":\(Self.model("b-4"))}]}
                """)
            #expect(duplicate.status == .conflict)

            #expect(try await Self.dump(catalog) == before, "a refused batch changed the catalog")
            #expect(try await client.json("/model/info").text == infoBefore)
        }
        await catalog.close()
    }

    @Test("a batch applies in order as one run of seqs, which a second replica applies together")
    func oneRun() async throws {
        let catalog = try await TestCatalog.make()
        let a = try await Replica.start(conninfo: catalog.conninfo, name: "batch-a")
        let b = try await Replica.start(conninfo: catalog.conninfo, name: "batch-b")
        try await a.app.test(.router) { clientA in
            try await b.app.test(.router) { clientB in
                #expect(try await clientA.json("/model/new", method: .post, body: Self.model("old")).status == .ok)
                let read = try await clientA.execute(uri: "/model/info?litellm_model_id=old", method: .get, headers: adminHeaders) {
                    $0.headers[.eTag]
                }
                let (status, seq, text) = try await clientA.execute(uri: "/model/batch", method: .post, headers: adminHeaders,
                                                                    body: ByteBuffer(string: """
                    {"operations":[{"op":"create","model":\(Self.model("n-1"))},
                                   {"op":"create","model":\(Self.model("n-2"))},
                                   {"op":"update","id":"n-1","model":{"litellm_params":{"rpm":5}}},
                                   {"op":"delete","id":"old","if_match":\(Self.jsonString(read ?? ""))}]}
                    """)) { ($0.status, $0.headers[HTTPField.Name("X-Catalog-Seq")!].flatMap { Int($0) }, String(buffer: $0.body)) }
                #expect(status == .ok, "\(text)")
                let results = (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
                #expect(results.map { $0["op"] as? String } == ["create", "create", "update", "delete"])
                #expect(results[2]["version"] as? Int == 2)
                let last = try #require(seq)

                // The run of seqs: 4 entries, contiguous, ending at the write's seq.
                var waiting = adminHeaders
                waiting[HTTPField.Name("X-Catalog-Min-Seq")!] = String(last)
                let changes = try await clientA.json("/catalog/changes?after=\(last - 4)&limit=100", headers: waiting)
                let entries = (changes.body as? [String: Any])?["changes"] as? [[String: Any]] ?? []
                #expect(entries.compactMap { $0["seq"] as? Int } == Array((last - 3)...last))

                // B: all of it at once. Whenever B shows n-1, it shows n-2, and old is gone.
                try await eventually("B applies the batch") {
                    let ids = try await clientB.modelIDs()
                    if ids.contains("n-1") || ids.contains("n-2") || !ids.contains("old") {
                        #expect(ids == ["n-1", "n-2"], "B showed part of a batch: \(ids)")
                        return true
                    }
                    return false
                }
            }
        }
        await a.close()
        await b.close()
        await catalog.close()
    }
}

extension ModelBatchTests {
    @Test("a page of the change feed ends with whole transactions: a batch is never split between two catch-up steps")
    func pagesHoldWholeBatches() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let batch = try await client.json("/model/batch", method: .post, body: """
                {"operations":[{"op":"create","model":\(Self.model("p-1"))},{"op":"create","model":\(Self.model("p-2"))},
                               {"op":"create","model":\(Self.model("p-3"))}]}
                """)
            #expect(batch.status == .ok)
        }
        let feed = ChangeFeed(pool: catalog.pool)
        // An entry is final once no older transaction is open anywhere on the server (the horizon
        // is the cluster's): tests running beside this one may hold it back for a while, the
        // change feed's long-transaction test for 65 s.
        var all: [CatalogChange] = []
        try await eventually("the batch is below the horizon", timeout: .seconds(120)) {
            all = try await feed.page(after: FeedPosition(horizon: 0, included: []), limit: 100).final
            return all.count >= 3
        }
        let batchXid = try #require(all.last?.xid)
        #expect(all.filter { $0.xid == batchXid }.count == 3)
        // A page size that ends inside the batch still hands the whole batch over.
        let cut = all.count - 2
        let page = try await feed.page(after: FeedPosition(horizon: 0, included: []), limit: cut).final
        #expect(page.count == all.count)
        #expect(page.map(\.seq) == all.map(\.seq))
        await catalog.close()
    }

    /// An ETag as a JSON string (its quotes escaped).
    static func jsonString(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
}
