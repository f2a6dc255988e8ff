import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// What schemathesis found: values PostgreSQL cannot store, and percent-encoded path parameters.
@Suite("Values the database cannot store are a 400; path parameters are percent-decoded")
struct RequestValueTests {
    typealias Case = BadInputTests.Case

    /// A NUL character anywhere a value reaches PostgreSQL: in text parameters libpq would cut the
    /// value at the NUL (a team "a\u0000b" was stored as "a"), in JSONB PostgreSQL refuses it (was a 500).
    static let cases: [Case] = [
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m","extra":"a\u0000b"}}"#, status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m"},"model_info":{"note":{"deep":["\u0000"]}}}"#, status: 400, field: nil),
        Case(uri: "/model/update", method: .post, body: #"{"model_info":{"id":"m-1","description":"a\u0000b"}}"#, status: 400, field: nil),
        Case(uri: "/model/delete", method: .post, body: #"{"id":"m-1\u0000"}"#, status: 400, field: nil),
        Case(uri: "/team/new", method: .post, body: #"{"team_id":"team-b\u0000x"}"#, status: 400, field: nil),
        Case(uri: "/team/new", method: .post, body: #"{"team_id":"team-c","team_alias":"C\u0000"}"#, status: 400, field: nil),
        Case(uri: "/team/new", method: .post, body: #"{"team_id":"team-d","metadata":{"k":"\u0000"}}"#, status: 400, field: nil),
        Case(uri: "/key/generate", method: .post, body: #"{"team_id":"team-a","models":["gpt\u0000"]}"#, status: 400, field: nil),
        Case(uri: "/key/generate", method: .post, body: #"{"team_id":"team-a","key_alias":"ops\u0000x"}"#, status: 400, field: nil),
        Case(uri: "/team/delete", method: .post, body: #"{"team_ids":["team-a\u0000"]}"#, status: 400, field: nil),
        Case(uri: "/team/info?team_id=team-a%00x", method: .get, body: "", status: 400, field: nil),
        Case(uri: "/utils/model_info?model=gpt-4o%00", method: .get, body: "", status: 400, field: nil),
        Case(uri: "/model/history?model_id=m-1%00", method: .get, body: "", status: 400, field: nil),
    ]

    @Test("a NUL character is refused with a 400 in LiteLLM's shape, and nothing changes")
    func nulCharacters() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/model/new", method: .post, body: BadInputTests.existing).status == .ok)
            #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"team-a"}"#).status == .ok)
            let before = try await Self.state(client: client, pool: catalog.pool)
            for testCase in Self.cases {
                try await BadInputTests.check(testCase, client: client)
            }
            let after = try await Self.state(client: client, pool: catalog.pool)
            #expect(after == before, "the catalog changed")
        }
        await catalog.close()
    }

    /// Models, teams, the change log and the keys: everything a refused request must leave alone.
    static func state(client: any TestClientProtocol, pool: PostgresConnectionPool) async throws -> [String] {
        [
            try await client.json("/model/info").text,
            try await client.json("/team/list").text,
            String(try await pool.query("SELECT count(*) AS n FROM changes")[0].decode(Int.self, "n")),
            String(try await pool.query("SELECT count(*) AS n FROM api_keys")[0].decode(Int.self, "n")),
        ]
    }

    @Test("a percent-encoded id or model name in the path names the model it encodes")
    func percentEncodedPathParameters() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await client.json("/model/new", method: .post, body: """
                {"model_name":"openai/gpt-4o x","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"team a/m 1"}}
                """)
            try #require(created.status == .ok, "\(created.text)")

            let patched = try await client.json("/model/team%20a%2Fm%201/update", method: .patch, body: #"{"litellm_params":{"rpm":7}}"#)
            #expect(patched.status == .ok, "\(patched.text)")
            let params = ((patched.body as? [String: Any])?["litellm_params"] as? [String: Any])
            #expect(params?["rpm"] as? Int == 7)

            for uri in ["/v1/models/openai%2Fgpt-4o%20x", "/v1/models/openai/gpt-4o%20x", "/models/openai%2Fgpt-4o%20x"] {
                let model = try await client.json(uri)
                #expect(model.status == .ok, "\(uri): \(model.text)")
                #expect((model.body as? [String: Any])?["id"] as? String == "openai/gpt-4o x", "\(uri)")
            }
            #expect(try await client.json("/v1/models/openai%2Fgpt-4o").status == .notFound)
        }
        await catalog.close()
    }
}
