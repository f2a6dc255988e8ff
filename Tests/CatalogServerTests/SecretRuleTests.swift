import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// Issue 11, items 9 to 11, through the API: the names and forms the redaction rule missed are
/// sealed and masked everywhere; a placeholder never becomes a stored secret; values that broke
/// the reporting views are refused.
@Suite("The secret rule through the API")
struct SecretRuleTests {
    /// Every secret below, to look for in responses, the dump, the views and the change log.
    static let secrets = [
        "sk-camel-1", "tok-camel-2", "cs-camel-3", "sk-lower-4", "sk-xapi-5", "pw-passwd-6", "pw-pwd-7", "br-8",
        "userinfo-pass-9", "account-key-10", "header-pair-11", "info-secret-12", "team-secret-13", "team-url-pass-14",
    ]

    static let model = """
        {"model_name":"rule","litellm_params":{"model":"azure/gpt-4o","apiKey":"sk-camel-1","accessToken":"tok-camel-2",
         "clientSecret":"cs-camel-3","apikey":"sk-lower-4","XApiKey":"sk-xapi-5","passwd":"pw-passwd-6","pwd":"pw-pwd-7",
         "bearer":"br-8","api_base":"https://proxy-user:userinfo-pass-9@proxy.example.com/v1",
         "azure_storage":"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=account-key-10;EndpointSuffix=core.windows.net",
         "extra_headers":[{"name":"Authorization","value":"Bearer header-pair-11"},{"name":"X-Source","value":"catalog"}],
         "rpm":10,"tpm":1000,"input_cost_per_token":0.000002,"max_tokens":4096},
         "model_info":{"id":"rule-1","mode":"chat","webhookSecret":"info-secret-12","max_input_tokens":1000}}
        """

    @Test("the names and forms the rule once missed are sealed at rest and masked in every read")
    func sealedAndMasked() async throws {
        let catalog = try await TestCatalog.make()
        let texts = try await catalog.withClientResult { client -> [String] in
            let created = try await client.json("/model/new", method: .post, body: Self.model)
            #expect(created.status == .ok, "\(created.text)")
            let team = try await client.json("/team/new", method: .post, body: """
                {"team_id":"t-meta","metadata":{"logging":[{"callback_name":"langfuse",
                 "callback_vars":{"langfuseSecretKey":"team-secret-13","host":"https://u:team-url-pass-14@langfuse.example"}}],"owner":"ops"}}
                """)
            #expect(team.status == .ok, "\(team.text)")
            #expect(try await client.json("/model/update", method: .post, body: #"{"model_info":{"id":"rule-1"},"litellm_params":{"rpm":11}}"#).status == .ok)
            let info = try await client.json("/model/info")
            let params = ((info.body as? [String: Any])?["data"] as? [[String: Any]])?.first?["litellm_params"] as? [String: Any]
            // Prices and limits stay visible; what is secret shows as the placeholder.
            #expect(params?["rpm"] as? Int == 11)
            #expect(params?["max_tokens"] as? Int == 4096)
            #expect((params?["input_cost_per_token"] as? NSNumber)?.doubleValue == 0.000002)
            #expect(params?["api_base"] as? String == Redaction.placeholder)
            #expect(params?["apiKey"] as? String == Redaction.placeholder)
            let headers = params?["extra_headers"] as? [[String: Any]]
            #expect(headers?.first?["value"] as? String == Redaction.placeholder)
            #expect(headers?.last?["value"] as? String == "catalog")
            return [
                info.text, try await client.json("/model/history?model_id=rule-1").text,
                try await client.json("/team/info?team_id=t-meta").text, try await client.json("/team/list").text,
                try await client.json("/v2/model/info").text, try await client.json("/model_group/info").text,
            ]
        }
        #expect(texts[2].contains("ops"))
        let dump = try SecretsAtRestTests.dump(catalog.conninfo)
        #expect(dump.contains("rule-1"))
        let views = try await catalog.pool.withConnection { connection in
            try connection.execute("BEGIN")
            defer { try? connection.execute("ROLLBACK") }
            try connection.execute("SET LOCAL ROLE catalog_reporting")
            return try connection.query("SELECT string_agg(row_to_json(d)::text, E'\\n') AS rows FROM reporting.deployments d")[0]
                .decode(String.self, "rows")
        }
        for secret in Self.secrets {
            for (index, text) in texts.enumerated() { #expect(!text.contains(secret), "\(secret) in read \(index)") }
            #expect(!dump.contains(secret), "\(secret) in pg_dump")
            #expect(!views.contains(secret), "\(secret) in the views")
        }
        // Sealed, not lost: the service opens every one of them.
        let sealed = try await ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "rule-1")
        #expect(sealed.litellmParams[[.key("apiKey")]] == "sk-camel-1")
        #expect(sealed.litellmParams[[.key("api_base")]] == "https://proxy-user:userinfo-pass-9@proxy.example.com/v1")
        #expect(sealed.litellmParams[[.key("extra_headers"), .index(0), .key("value")]] == "Bearer header-pair-11")
        #expect(sealed.modelInfo[[.key("webhookSecret")]] == "info-secret-12")
        let team = try await TenantRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "t-meta")
        #expect(team[[.key("logging"), .index(0), .key("callback_vars"), .key("langfuseSecretKey")]] == "team-secret-13")
        await catalog.close()
    }

    @Test("a placeholder with no stored secret at its path is a 400 and stores nothing")
    func placeholderWithoutSecret() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let new = try await client.json("/model/new", method: .post, body: """
                {"model_name":"p","litellm_params":{"model":"openai/gpt-4o","api_key":"********"},"model_info":{"id":"p-1"}}
                """)
            #expect(new.status == .badRequest)
            #expect(new.text.contains("litellm_params.api_key"))
            #expect(try await client.json("/model/new", method: .post, body: """
                {"model_name":"p","litellm_params":{"model":"openai/gpt-4o","api_key":"sk-p-1",
                 "extra_headers":[{"name":"Authorization","value":"Bearer sk-pair-a"},{"name":"X-Api-Key","value":"sk-pair-b"}]},
                 "model_info":{"id":"p-1"}}
                """).status == .ok)
            // A secret that was never set, sent as the placeholder.
            let unset = try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"p-1"},"litellm_params":{"azure_ad_token":"********"}}
                """)
            #expect(unset.status == .badRequest)
            #expect(unset.text.contains("litellm_params.azure_ad_token"))
            // The list reordered, placeholders and all: refused, never swapped.
            let reordered = try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"p-1"},"litellm_params":{"extra_headers":[{"name":"X-Api-Key","value":"********"},
                 {"name":"Authorization","value":"********"}]}}
                """)
            #expect(reordered.status == .badRequest)
            #expect(reordered.text.contains("litellm_params.extra_headers[0].value"))
            for text in [new.text, unset.text, reordered.text] { #expect(!text.contains("sk-")) }
            // Echoed unchanged, the placeholders keep their secrets.
            #expect(try await client.json("/model/update", method: .post, body: """
                {"model_info":{"id":"p-1"},"litellm_params":{"api_key":"********","extra_headers":[
                 {"name":"Authorization","value":"********"},{"name":"X-Api-Key","value":"********"}]}}
                """).status == .ok)
        }
        let sealed = try await ModelRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey).secrets(id: "p-1")
        #expect(sealed.litellmParams == [
            [.key("api_key")]: "sk-p-1",
            [.key("extra_headers"), .index(0), .key("value")]: "Bearer sk-pair-a",
            [.key("extra_headers"), .index(1), .key("value")]: "sk-pair-b",
        ])
        #expect(!sealed.litellmParams.values.contains(.string(Redaction.placeholder)))
        await catalog.close()
    }

    static let badValues: [(String, String)] = [
        (#"{"rpm":1e20}"#, "litellm_params.rpm"), (#"{"tpm":-1}"#, "litellm_params.tpm"),
        (#"{"input_cost_per_token":"..."}"#, "litellm_params.input_cost_per_token"),
        (#"{"max_tokens":1.5}"#, "litellm_params.max_tokens"),
    ]

    @Test("values that broke the reporting views are refused, naming the field", arguments: badValues)
    func badValuesRefused(params: String, field: String) async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let new = try await client.json("/model/new", method: .post, body: """
                {"model_name":"b","litellm_params":\(params.dropLast()),"model":"openai/gpt-4o"},"model_info":{"id":"b-1"}}
                """)
            #expect(new.status == .badRequest, "\(new.text)")
            #expect(new.text.contains(field))
            let info = try await client.json("/model/new", method: .post, body: """
                {"model_name":"b","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"b-2","max_input_tokens":"x"}}
                """)
            #expect(info.status == .badRequest)
            #expect(info.text.contains("model_info.max_input_tokens"))
        }
        #expect(try await catalog.pool.query("SELECT count(*) AS n FROM models")[0].decode(Int.self, "n") == 0)
        await catalog.close()
    }
}
