import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// Every /credentials route against a real PostgreSQL, on both read paths: LiteLLM's shapes, the
/// use rule on every path that makes a model (API, config, import-config, plain SQL), the PATCH
/// echo of the masked read-back, 409 on deleting a credential in use, and bad input that changes
/// nothing.
@Suite("Credentials: endpoints")
struct CredentialEndpointTests {
    enum ReadPath: String, CaseIterable, Sendable { case database, replicaCache }

    static func replica(_ path: ReadPath) -> ReplicaOptions? {
        path == .database ? nil : ReplicaOptions(pollInterval: .milliseconds(200), maxBackoff: .milliseconds(500))
    }

    static func json(_ object: [String: Any]) -> String { IsolationMatrixTests.json(object) }

    static func headers(_ key: String) -> HTTPFields { [.authorization: "Bearer \(key)", .contentType: "application/json"] }

    static func object(_ response: (status: HTTPResponse.Status, body: Any?, text: String)) -> [String: Any] {
        response.body as? [String: Any] ?? [:]
    }

    static func errorParam(_ response: (status: HTTPResponse.Status, body: Any?, text: String)) -> String? {
        (object(response)["error"] as? [String: Any])?["param"] as? String
    }

    static func names(_ client: any TestClientProtocol, key: String = TestCatalog.masterKey) async throws -> [String] {
        let listed = object(try await client.json("/credentials", headers: headers(key)))
        return (listed["credentials"] as? [[String: Any]] ?? []).compactMap { $0["credential_name"] as? String }
    }

    static let openAI = #"{"credential_name":"openai-prod","credential_info":{"custom_llm_provider":"openai","description":"prod"},"credential_values":{"api_key":"sk-cred-value-1","api_base":"https://api.openai.example/v1"}}"#

    @Test("create, list, by_name, by_model, rotate, echo, delete: LiteLLM's shapes, values never shown", arguments: ReadPath.allCases)
    func lifecycle(path: ReadPath) async throws {
        let catalog = try await TestCatalog.make()
        let repository = CredentialRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        try await catalog.withApplication(catalog.configuration(replica: Self.replica(path))) { built, client in
            let created = try await client.json("/credentials", method: .post, body: Self.openAI)
            #expect(created.status == .ok, "\(created.text)")
            #expect(Self.object(created)["success"] as? Bool == true)
            #expect(Self.object(created)["message"] as? String == "Credential created successfully")

            let listed = Self.object(try await client.json("/credentials"))
            #expect(listed["success"] as? Bool == true)
            let items = listed["credentials"] as? [[String: Any]] ?? []
            #expect(items.count == 1)
            let item = items.first ?? [:]
            #expect(item["credential_name"] as? String == "openai-prod")
            #expect(item["source"] as? String == "db")
            #expect(item.keys.contains("display_name"))
            #expect(item["credential_values"] as? [String: String] == ["api_key": "********", "api_base": "********"])
            let info = item["credential_info"] as? [String: Any] ?? [:]
            #expect(info["custom_llm_provider"] as? String == "openai")
            #expect(info["team_id"] is NSNull)

            let one = try await client.json("/credentials/by_name/openai-prod")
            #expect(one.status == .ok)
            #expect(Self.object(one)["credential_name"] as? String == "openai-prod")
            #expect(try await client.json("/credentials/by_name/nope").status == .notFound)

            // A deployment points to it by name; /model/info shows the name, never the values.
            let model = try await client.json("/model/new", method: .post, body: Self.json([
                "model_name": "gpt-4o", "litellm_params": ["model": "openai/gpt-4o", "litellm_credential_name": "openai-prod"],
                "model_info": ["id": "uses-cred"],
            ]))
            #expect(model.status == .ok, "\(model.text)")
            let shown = try await client.json("/model/info?litellm_model_id=uses-cred")
            let params = ((Self.object(shown)["data"] as? [[String: Any]])?.first?["litellm_params"] as? [String: Any]) ?? [:]
            #expect(params["litellm_credential_name"] as? String == "openai-prod")
            #expect(!shown.text.contains("sk-cred-value-1"))

            let byModel = try await client.json("/credentials/by_model/uses-cred")
            #expect(byModel.status == .ok, "\(byModel.text)")
            #expect(Self.object(byModel)["credential_name"] as? String == "openai-prod")
            #expect(Self.object(byModel)["credential_values"] as? [String: String] == ["api_key": "********", "api_base": "********"])
            #expect(try await client.json("/credentials/by_model/no-such-model").status == .notFound)
            let plain = try await client.json("/model/new", method: .post, body: #"{"model_name":"plain","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"plain"}}"#)
            #expect(plain.status == .ok)
            #expect(try await client.json("/credentials/by_model/plain").status == .notFound)

            // Rotation: one PATCH; the echoed placeholder keeps api_base.
            let rotated = try await client.json("/credentials/openai-prod", method: .patch, body: """
                {"credential_info":{"description":"rotated"},"credential_values":{"api_key":"sk-cred-value-2","api_base":"********"},"display_name":"Prod"}
                """)
            #expect(rotated.status == .ok, "\(rotated.text)")
            #expect(Self.object(rotated)["message"] as? String == "Credential updated successfully")
            #expect(try await repository.values(name: "openai-prod") == ["api_key": "sk-cred-value-2", "api_base": "https://api.openai.example/v1"])
            let deployment = try #require(try await built.database.models.find(id: "uses-cred"))
            #expect(try await repository.values(for: deployment)?["api_key"] == "sk-cred-value-2")
            let after = Self.object(try await client.json("/credentials/by_name/openai-prod"))
            #expect(after["display_name"] as? String == "Prod")
            #expect((after["credential_info"] as? [String: Any])?["description"] as? String == "rotated")
            #expect(after["version"] as? Int == 2)

            // A placeholder for a value the credential does not have: 400, nothing changed.
            let phantom = try await client.json("/credentials/openai-prod", method: .patch, body: #"{"credential_info":{},"credential_values":{"region":"********","api_key":"sk-cred-value-3"}}"#)
            #expect(phantom.status == .badRequest)
            #expect(Self.errorParam(phantom) == "credential_values.region")
            #expect(try await repository.values(name: "openai-prod")?["api_key"] == "sk-cred-value-2")
            #expect(try await client.json("/credentials/nope", method: .patch, body: #"{"credential_info":{}}"#).status == .notFound)

            // In use: 409 naming the model; forced: gone.
            let refused = try await client.json("/credentials/openai-prod", method: .delete)
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("uses-cred"))
            #expect(try await Self.names(client) == ["openai-prod"])
            #expect(try await client.json("/credentials/openai-prod?force=maybe", method: .delete).status == .badRequest)
            let forced = try await client.json("/credentials/openai-prod?force=true", method: .delete)
            #expect(forced.status == .ok, "\(forced.text)")
            #expect(Self.object(forced)["message"] as? String == "Credential deleted successfully")
            #expect(try await Self.names(client) == [])
            #expect(try await client.json("/credentials/openai-prod", method: .delete).status == .notFound)
            #expect(try await repository.values(name: "openai-prod") == nil)
            #expect(try await catalog.pool.query("SELECT 1 FROM credential_secrets").isEmpty)
        }
        await catalog.close()
    }

    @Test("bad input: a 4xx in LiteLLM's error shape naming the field, and nothing changed", arguments: ReadPath.allCases)
    func badInput(path: ReadPath) async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: Self.replica(path))) { _, client in
            #expect(try await client.json("/credentials", method: .post, body: Self.openAI).status == .ok)
            let before = try await IsolationMatrixTests.rows(catalog, "SELECT name AS id, row_to_json(c)::text AS row FROM credentials c")
            let cases: [(String, HTTPRequest.Method, String, HTTPResponse.Status, String?)] = [
                ("/credentials", .post, Self.openAI, .conflict, "credential_name"),
                ("/credentials", .post, #"{"credential_values":{"a":"b"}}"#, .badRequest, "credential_name"),
                ("/credentials", .post, #"{"credential_name":"x"}"#, .badRequest, "credential_values"),
                ("/credentials", .post, #"{"credential_name":"x","credential_values":{"api_key":"********"}}"#, .badRequest, "credential_values.api_key"),
                ("/credentials", .post, #"{"credential_name":"x","credential_values":{"a":"b"},"credential_info":{"api_key":"sk-cred-leak"}}"#, .badRequest, "credential_info.api_key"),
                ("/credentials", .post, #"{"credential_name":"x","credential_values":{"a":"b"},"credential_info":{"team_id":"no-team"}}"#, .conflict, "credential_info.team_id"),
                ("/credentials", .post, "[1]", .badRequest, nil),
                ("/credentials", .post, "{", .badRequest, nil),
                ("/credentials/openai-prod", .patch, #"{"credential_name":"renamed","credential_info":{}}"#, .badRequest, "credential_name"),
                ("/credentials/openai-prod", .patch, #"{"credential_values":"sk"}"#, .badRequest, "credential_values"),
                ("/credentials/openai-prod", .patch, #"{"credential_info":{"team_id":"t9"}}"#, .badRequest, "credential_info.team_id"),
                ("/credentials/openai-prod", .patch, #"{"credential_info":{"password":"pw-cred-leak"}}"#, .badRequest, "credential_info.password"),
                ("/credentials/openai-prod", .patch, #"{"credential_values":{"a":"b"},"credential_values_to_delete":["a"]}"#, .badRequest, "credential_values_to_delete"),
            ]
            for (uri, method, body, status, param) in cases {
                let response = try await client.json(uri, method: method, body: body)
                #expect(response.status == status, "\(method) \(uri) \(body): \(response.text)")
                let error = Self.object(response)["error"] as? [String: Any]
                #expect(error?["message"] is String && error?["type"] is String && error?["code"] is String, "\(body)")
                if let param { #expect(Self.errorParam(response) == param, "\(body): \(response.text)") }
                #expect(!response.text.contains("sk-cred-leak") && !response.text.contains("pw-cred-leak"))
            }
            let unauthenticated = try await client.json("/credentials", headers: [:])
            #expect(unauthenticated.status == .unauthorized)
            let after = try await IsolationMatrixTests.rows(catalog, "SELECT name AS id, row_to_json(c)::text AS row FROM credentials c")
            #expect(after == before)
        }
        await catalog.close()
    }

    @Test("every path that makes a model refuses a credential that is missing or another team's, naming the field")
    func useRuleOnEveryPath() async throws {
        let catalog = try await TestCatalog.make()
        let tenants = TenantRepository(pool: catalog.pool)
        for team in ["t1", "t2"] { _ = try await tenants.create(Tenant(id: team, alias: nil), actor: "test") }
        try await catalog.withApplication { _, client in
            for body in [
                #"{"credential_name":"shared","credential_values":{"api_key":"sk-shared-1"}}"#,
                #"{"credential_name":"t1-only","credential_info":{"team_id":"t1"},"credential_values":{"api_key":"sk-t1-1"}}"#,
            ] {
                #expect(try await client.json("/credentials", method: .post, body: body).status == .ok)
            }
            func create(_ id: String, team: String?, credential: Any) async throws -> (status: HTTPResponse.Status, body: Any?, text: String) {
                var info: [String: Any] = ["id": id]
                if let team { info["team_id"] = team }
                return try await client.json("/model/new", method: .post, body: Self.json([
                    "model_name": id, "litellm_params": ["model": "openai/gpt-4o", "litellm_credential_name": credential], "model_info": info,
                ]))
            }
            #expect(try await create("a", team: "t1", credential: "t1-only").status == .ok)
            #expect(try await create("b", team: "t1", credential: "shared").status == .ok)
            #expect(try await create("c", team: nil, credential: "shared").status == .ok)
            for (id, team, credential) in [("d", "t2", "t1-only"), ("e", nil, "t1-only"), ("f", "t1", "missing")] as [(String, String?, String)] {
                let refused = try await create(id, team: team, credential: credential)
                #expect(refused.status == .badRequest, "\(id): \(refused.text)")
                #expect(Self.errorParam(refused) == "litellm_params.litellm_credential_name")
            }
            let wrongType = try await create("g", team: "t1", credential: 5)
            #expect(wrongType.status == .badRequest)
            #expect(Self.errorParam(wrongType) == "litellm_params.litellm_credential_name")
            // Changing a model: moving "a" to t2 while it names t1's credential, or naming it from t2.
            let move = try await client.json("/model/update", method: .post, body: #"{"model_info":{"id":"a","team_id":"t2"}}"#)
            #expect(move.status == .badRequest, "\(move.text)")
            #expect(try await create("h", team: "t2", credential: "shared").status == .ok)
            let point = try await client.json("/model/h/update", method: .patch, body: #"{"litellm_params":{"litellm_credential_name":"t1-only"}}"#)
            #expect(point.status == .badRequest)
            #expect(Self.errorParam(point) == "litellm_params.litellm_credential_name")
            let ids = try await client.modelIDs()
            #expect(ids == ["a", "b", "c", "h"])
        }
        // Config at start and import-config (the same loader): a clear error naming the entry's field.
        let loader = ConfigModelLoader(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        for (team, credential) in [("t2", "t1-only"), ("t1", "missing")] {
            let model = LiteLLMConfig.Model(
                modelName: "cfg", litellmParams: ["model": "openai/gpt-4o", "litellm_credential_name": .string(credential)],
                modelInfo: ["id": .string("cfg-\(credential)"), "team_id": .string(team)], line: 3, teamID: team)
            do {
                _ = try await loader.load([model], file: "config.yaml")
                Issue.record("config naming \(credential) for \(team) was loaded")
            } catch let error as ConfigError {
                #expect("\(error)".contains("model_list[0].litellm_params.litellm_credential_name"), "\(error)")
            }
        }
        let good = LiteLLMConfig.Model(modelName: "cfg", litellmParams: ["model": "openai/gpt-4o", "litellm_credential_name": "t1-only"],
                                       modelInfo: ["id": "cfg-ok", "team_id": "t1"], line: 3, teamID: "t1")
        #expect(try await loader.load([good], file: "config.yaml").inserted == 1)
        await catalog.close()
    }

    @Test("credentials written with plain SQL reach the replica's snapshot through the change log, without values")
    func plainSQLReachesSnapshot() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: Self.replica(.replicaCache))) { built, client in
            let store = try #require(built.cache?.store)
            let generation = store.snapshot.generation
            try await catalog.pool.query("""
                INSERT INTO credentials (name, info, value_names) VALUES ('sql-made', '{"note":"by hand"}', '{api_key}')
                """)
            try await eventually("the replica lists sql-made") { try await Self.names(client) == ["sql-made"] }
            #expect(store.snapshot.credentials.credential(named: "sql-made")?.valueNames == ["api_key"])
            // Cached model responses do not depend on credentials: the generation (and so the cache) stays.
            #expect(store.snapshot.generation == generation)
            #expect(try await client.json("/credentials", method: .post, body: Self.openAI).status == .ok)
            #expect(store.snapshot.generation == generation)
            #expect(try await client.json("/credentials/openai-prod", method: .delete).status == .ok)
            try await catalog.pool.query("UPDATE credentials SET display_name = 'Hand' WHERE name = 'sql-made'")
            try await eventually("the replica shows the display name") {
                store.snapshot.credentials.credential(named: "sql-made")?.displayName == "Hand"
            }
            try await catalog.pool.query("DELETE FROM credentials")
            try await eventually("the replica forgets sql-made") { try await Self.names(client) == [] }
            let log = try await catalog.pool.query("SELECT op FROM changes WHERE entity = 'credential' ORDER BY seq")
            #expect(try log.map { try $0.decode(String.self, "op") } == ["insert", "insert", "delete", "update", "delete"])
        }
        await catalog.close()
    }
}
