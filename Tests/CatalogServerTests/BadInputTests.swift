import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

@Suite("Bad input gets a 4xx in LiteLLM's error shape and changes nothing")
struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var uri: String
        var method: HTTPRequest.Method
        var body: String
        var status: Int
        var field: String?
        var testDescription: String { "\(method) \(uri) \(body.prefix(60))" }
    }

    static let existing = #"{"model_name":"existing","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1"}}"#

    static let cases: [Case] = [
        Case(uri: "/model/new", method: .post, body: "{", status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: "", status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: "[]", status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: "null", status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: #""just a string""#, status: 400, field: nil),
        Case(uri: "/model/new", method: .post, body: #"{"litellm_params":{"model":"openai/gpt-4o"}}"#, status: 400, field: "model_name"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"","litellm_params":{"model":"openai/gpt-4o"}}"#, status: 400, field: "model_name"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":42,"litellm_params":{"model":"openai/gpt-4o"}}"#, status: 400, field: "model_name"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x"}"#, status: 400, field: "litellm_params"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{}}"#, status: 400, field: "litellm_params.model"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":"openai/gpt-4o"}"#, status: 400, field: "litellm_params"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":["a"]}}"#, status: 400, field: "litellm_params.model"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m","tpm":"lots"}}"#, status: 400, field: "litellm_params.tpm"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m","rpm":-1}}"#, status: 400, field: "litellm_params.rpm"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m","input_cost_per_token":"free"}}"#, status: 400, field: "litellm_params.input_cost_per_token"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m"},"model_info":[]}"#, status: 400, field: "model_info"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"m"},"model_info":{"id":7}}"#, status: 400, field: "model_info.id"),
        Case(uri: "/model/new", method: .post, body: existing, status: 409, field: "model_info.id"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"x\u0000y","litellm_params":{"model":"m"}}"#, status: 400, field: "model_name"),
        Case(uri: "/model/new", method: .post, body: #"{"model_name":"'); DROP TABLE models; --","litellm_params":{"model":"m"},"model_info":{"base_model":{"$ne":1}}}"#, status: 400, field: "model_info.base_model"),
        Case(uri: "/model/new", method: .post, body: "{\"model_name\":\"big\",\"litellm_params\":{\"model\":\"m\",\"pad\":\"" + String(repeating: "x", count: 1_100_000) + "\"}}", status: 413, field: nil),
        Case(uri: "/reload/model_cost_map", method: .post, body: "{\"url\":\"" + String(repeating: "x", count: 1_100_000) + "\"}", status: 413, field: nil),
        Case(uri: "/reload/model_cost_map", method: .post, body: #"{"force":"yes"}"#, status: 400, field: "force"),
        Case(uri: "/model/update", method: .post, body: #"{"model_name":"renamed"}"#, status: 400, field: "model_info.id"),
        Case(uri: "/model/update", method: .post, body: #"{"model_info":{"id":"no-such-model"},"model_name":"y"}"#, status: 404, field: nil),
        Case(uri: "/model/update", method: .post, body: #"{"model_info":{"id":"m-1"},"litellm_params":{"model":""}}"#, status: 400, field: "litellm_params.model"),
        Case(uri: "/model/update", method: .post, body: #"{"model_info":{"id":"m-1"},"litellm_params_to_remove":["api_base"]}"#, status: 400, field: "litellm_params_to_remove"),
        Case(uri: "/model/m-1/update", method: .patch, body: #"{"litellm_params_to_remove":["model"]}"#, status: 400, field: "litellm_params_to_remove"),
        Case(uri: "/model/m-1/update", method: .patch, body: #"{"litellm_params_to_remove":"api_base"}"#, status: 400, field: "litellm_params_to_remove"),
        Case(uri: "/model/m-1/update", method: .patch, body: #"{"model_info":{"id":"other"}}"#, status: 400, field: "model_info.id"),
        Case(uri: "/model/no-such-model/update", method: .patch, body: #"{"model_name":"y"}"#, status: 404, field: nil),
        Case(uri: "/model/delete", method: .post, body: #"{}"#, status: 400, field: "id"),
        Case(uri: "/model/delete", method: .post, body: #"{"id":5}"#, status: 400, field: "id"),
        Case(uri: "/model/delete", method: .post, body: #"{"id":"no-such-model"}"#, status: 404, field: nil),
        Case(uri: "/model/delete", method: .post, body: "not json", status: 400, field: nil),
        Case(uri: "/reload/model_cost_map", method: .post, body: #"{"url":"file:///etc/passwd"}"#, status: 400, field: "url"),
        Case(uri: "/reload/model_cost_map", method: .post, body: #"{"url":42}"#, status: 400, field: "url"),
        Case(uri: "/v2/model/info?page=0", method: .get, body: "", status: 400, field: "page"),
        Case(uri: "/v2/model/info?size=abc", method: .get, body: "", status: 400, field: "size"),
    ]

    @Test("every hostile body is refused with a clear error and the catalog is unchanged")
    func refused() async throws {
        #expect(Self.cases.count >= 20)
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            #expect(try await client.json("/model/new", method: .post, body: Self.existing).status == .ok)
            let before = try await client.json("/model/info").text
            let changesBefore = try await catalog.pool.query("SELECT count(*) AS n FROM changes")[0].decode(Int.self, "n")
            for testCase in Self.cases {
                try await Self.check(testCase, client: client)
            }
            #expect(try await client.json("/model/info").text == before)
            let changesAfter = try await catalog.pool.query("SELECT count(*) AS n FROM changes")[0].decode(Int.self, "n")
            #expect(changesAfter == changesBefore)
        }
        await catalog.close()
    }

    static func check(_ testCase: Case, client: any TestClientProtocol) async throws {
        let response = try await client.json(testCase.uri, method: testCase.method,
                                             body: testCase.method == .get ? nil : testCase.body)
        let label = testCase.testDescription
        #expect(Int(response.status.code) == testCase.status, "\(label)")
        let error = (response.body as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["message"] is String, "\(label)")
        #expect(error?["type"] is String, "\(label)")
        #expect(error?["code"] is String, "\(label)")
        #expect(error?.keys.contains("param") == true, "\(label)")
        if let field = testCase.field {
            #expect(error?["param"] as? String == field, "\(label)")
            let lastPart = field.split(separator: ".").last.map(String.init) ?? field
            #expect((error?["message"] as? String)?.contains(lastPart) == true, "\(label)")
        }
    }

    @Test("no key or an unknown key is 401; the key may come as Bearer or x-litellm-api-key")
    func authentication() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            for uri in ["/model/info", "/v1/models", "/model_group/info", "/v2/model/info"] {
                #expect(try await client.json(uri, headers: [:]).status == .unauthorized)
                #expect(try await client.json(uri, headers: [.authorization: "Bearer sk-wrong"]).status == .unauthorized)
                #expect(try await client.json(uri, headers: [.authorization: "Bearer \(TestCatalog.masterKey)"]).status == .ok)
                var litellmHeader = HTTPFields()
                litellmHeader[.init("x-litellm-api-key")!] = TestCatalog.masterKey
                #expect(try await client.json(uri, headers: litellmHeader).status == .ok)
            }
            let denied = try await client.json("/model/new", method: .post, headers: [:], body: Self.existing)
            #expect(denied.status == .unauthorized)
            #expect(((denied.body as? [String: Any])?["error"] as? [String: Any])?["type"] as? String == "auth_error")
            // The public cost map needs no key.
            #expect(try await client.json("/public/litellm_model_cost_map", headers: [:]).status == .ok)
        }
        await catalog.close()
    }
}
