import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("Model history from the change log")
struct HistoryTests {
    @Test("GET /model/history: newest first, who and what, redacted, no secret in the log")
    func history() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"t1"}"#).status == .ok)
            #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"t2"}"#).status == .ok)
            #expect(try await client.json("/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-history-secret",
                 "extra_headers":{"Authorization":"Bearer sk-history-header"}},"model_info":{"id":"h-1","team_id":"t1"}}
                """).status == .ok)
            #expect(try await client.json("/model/update", method: .post, body: #"{"model_info":{"id":"h-1"},"litellm_params":{"rpm":5}}"#).status == .ok)
            #expect(try await client.json("/model/delete", method: .post, body: #"{"id":"h-1"}"#).status == .ok)

            let response = try await client.json("/model/history?model_id=h-1")
            #expect(response.status == .ok)
            let data = (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            #expect(data.map { $0["op"] as? String } == ["delete", "update", "insert"])
            #expect(data.allSatisfy { $0["changed_by"] as? String == "master" })
            let seqs = data.compactMap { $0["seq"] as? Int }
            #expect(seqs == seqs.sorted(by: >))
            let update = data[1]
            #expect(((update["before"] as? [String: Any])?["litellm_params"] as? [String: Any])?["rpm"] == nil)
            #expect(((update["after"] as? [String: Any])?["litellm_params"] as? [String: Any])?["rpm"] as? Int == 5)
            #expect(data[0]["after"] is NSNull)
            #expect(data[2]["before"] is NSNull)
            #expect(!response.text.contains("sk-history"))
            #expect(!response.text.contains("\"api_key\""))

            // A tenant admin of t1 may read it; one of t2 is told it does not exist.
            for (team, expected) in [("t1", HTTPResponse.Status.ok), ("t2", .notFound)] {
                let generated = try await client.json("/key/generate", method: .post, body: #"{"team_id":"\#(team)","role":"tenant_admin"}"#)
                let key = (generated.body as? [String: Any])?["key"] as? String ?? ""
                let status = try await client.json("/model/history?model_id=h-1", headers: [.authorization: "Bearer \(key)"]).status
                #expect(status == expected, "\(team)")
            }
            #expect(try await client.json("/model/history?model_id=never-existed").status == .notFound)
        }
        let log = try await catalog.pool.query("SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') AS log FROM changes")
        let text = try log[0].decode(String?.self, "log") ?? ""
        #expect(text.contains("h-1"))
        #expect(!text.contains("sk-history"))
        await catalog.close()
    }
}
