import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// An analyst's report and the API agree: every `reporting.deployments` row shows the provider,
/// the cost-map key, the input and output price per token, the mode and the context window that
/// `GET /model/info` shows for the same deployment. Any difference fails.
@Suite("Reporting views agree with /model/info")
struct ReportingParityTests {
    /// Deployments that exercise every precedence rule, beside the reference config's 50.
    static let extra: [String] = [
        // Prices in both model_info and litellm_params: model_info wins.
        #"{"model_name":"both-prices","litellm_params":{"model":"openai/gpt-4o","input_cost_per_token":0.00001,"output_cost_per_token":0.00002},"model_info":{"id":"both-prices","input_cost_per_token":0.000003,"output_cost_per_token":0.000004}}"#,
        // Prices in litellm_params only: they hide the cost map's.
        #"{"model_name":"params-prices","litellm_params":{"model":"gpt-4o-mini","input_cost_per_token":0.0000007,"output_cost_per_token":0.0000009},"model_info":{"id":"params-prices"}}"#,
        // A model_info price of null counts as unknown and is filled from below.
        #"{"model_name":"null-price","litellm_params":{"model":"openai/gpt-4o","input_cost_per_token":0.00005},"model_info":{"id":"null-price","input_cost_per_token":null}}"#,
        // Negative cost-map prices are unknown.
        #"{"model_name":"negative","litellm_params":{"model":"parity/negative-model"},"model_info":{"id":"negative"}}"#,
        // Custom providers: no cost entry; one whose bare name is in the map.
        #"{"model_name":"custom","litellm_params":{"model":"my_custom_llm/llama-3-70b"},"model_info":{"id":"custom"}}"#,
        #"{"model_name":"custom-known","litellm_params":{"model":"my_gateway/gpt-4o"},"model_info":{"id":"custom-known"}}"#,
        // A bare unknown model: openai, LiteLLM's default.
        #"{"model_name":"bare-unknown","litellm_params":{"model":"no-such-model-anywhere"},"model_info":{"id":"bare-unknown"}}"#,
        // base_model picks the entry; model_info overrides provider, mode and context window.
        #"{"model_name":"based","litellm_params":{"model":"azure/my-deployment"},"model_info":{"id":"based","base_model":"azure/gpt-4o"}}"#,
        #"{"model_name":"overridden","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"overridden","litellm_provider":"my_provider","mode":"embedding","max_input_tokens":1234}}"#,
        // A leading slash is no provider prefix.
        #"{"model_name":"slash","litellm_params":{"model":"/gpt-4o"},"model_info":{"id":"slash"}}"#,
        // Prices written as numeric strings, and zero.
        #"{"model_name":"zero","litellm_params":{"model":"openai/gpt-4o","input_cost_per_token":0,"output_cost_per_token":0},"model_info":{"id":"zero"}}"#,
    ]

    /// Carries the API's facts out of the `@Sendable` client closure.
    final class FactsBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String: Facts] = [:]
        var value: [String: Facts] { lock.withLock { stored } }
        func set(_ value: [String: Facts]) { lock.withLock { stored = value } }
    }

    struct Facts: Equatable, Sendable, CustomStringConvertible {
        var provider: String?
        var costMapKey: String?
        var input: Double?
        var output: Double?
        var mode: String?
        var contextWindow: Int?

        var description: String {
            "provider \(provider ?? "nil"), key \(costMapKey ?? "nil"), in \(input.map { "\($0)" } ?? "nil"), "
                + "out \(output.map { "\($0)" } ?? "nil"), mode \(mode ?? "nil"), context \(contextWindow.map(String.init) ?? "nil")"
        }
    }

    @Test("every reporting.deployments row matches /model/info for the same deployment")
    func parity() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.pool.query("""
            INSERT INTO cost_map (key, entry) VALUES ('parity/negative-model',
              '{"input_cost_per_token": -1, "output_cost_per_token": -0.5, "litellm_provider": "parity", "mode": "chat", "max_input_tokens": 1000}')
            """)
        // A row written with plain SQL, prices in model_info as an analyst might.
        try await catalog.pool.query("""
            INSERT INTO models (id, model_name, litellm_params, model_info)
            VALUES ('by-sql', 'by-sql', '{"model": "anthropic/claude-sonnet-4-5"}', '{"output_cost_per_token": 0.00001}')
            """)
        let box = FactsBox()
        try await catalog.withClient { client in
            for body in Self.extra {
                let created = try await client.json("/model/new", method: .post, body: body)
                #expect(created.status == .ok, "\(created.text)")
            }
            let response = try await client.json("/model/info")
            var api: [String: Facts] = [:]
            for entry in (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? [] {
                guard let info = entry["model_info"] as? [String: Any], let id = info["id"] as? String else { continue }
                api[id] = Facts(
                    provider: info["litellm_provider"] as? String, costMapKey: info["key"] as? String,
                    input: (info["input_cost_per_token"] as? NSNumber)?.doubleValue,
                    output: (info["output_cost_per_token"] as? NSNumber)?.doubleValue,
                    mode: info["mode"] as? String, contextWindow: (info["max_input_tokens"] as? NSNumber)?.intValue)
            }
            box.set(api)
        }
        let api = box.value
        let report = try await catalog.pool.withConnection { connection in
            try connection.execute("BEGIN")
            defer { try? connection.execute("ROLLBACK") }
            try connection.query("SET LOCAL ROLE catalog_reporting")
            return try connection.query("""
                SELECT id, provider, cost_map_key, input_cost_per_token::float8 AS input, output_cost_per_token::float8 AS output,
                       mode, context_window FROM reporting.deployments
                """).map { row in
                (try row.decode(String.self, "id"), Facts(
                    provider: try row.decode(String?.self, "provider"), costMapKey: try row.decode(String?.self, "cost_map_key"),
                    input: try row.decode(Double?.self, "input"), output: try row.decode(Double?.self, "output"),
                    mode: try row.decode(String?.self, "mode"), contextWindow: try row.decode(Int?.self, "context_window")))
            }
        }
        #expect(report.count == 50 + Self.extra.count + 1)
        #expect(Set(report.map(\.0)) == Set(api.keys), "the view and the API list different deployments")
        var differences: [String] = []
        for (id, row) in report where api[id] != row {
            differences.append("\(id):\n  report \(row)\n  api    \(api[id].map(String.init(describing:)) ?? "missing")")
        }
        #expect(differences.isEmpty, "\(differences.count) rows differ:\n\(differences.joined(separator: "\n"))")
        // The cases above really are what they claim to be.
        #expect(api["both-prices"]?.input == 0.000003)
        #expect(api["params-prices"]?.input == 0.0000007)
        #expect(api["null-price"]?.input == 0.00005)
        #expect(api["negative"]?.input == nil && api["negative"]?.provider == "parity")
        #expect(api["custom"]?.provider == "my_custom_llm" && api["custom"]?.costMapKey == nil)
        #expect(api["custom-known"]?.costMapKey == "gpt-4o")
        #expect(api["bare-unknown"]?.provider == "openai")
        #expect(api["overridden"]?.provider == "my_provider" && api["overridden"]?.contextWindow == 1234)
        #expect(api["by-sql"]?.output == 0.00001)
        await catalog.close()
    }
}
