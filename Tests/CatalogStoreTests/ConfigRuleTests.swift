import Catalog
import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Config models and the API")
struct ConfigRuleTests {
    static func migratedPool() async throws -> PostgresConnectionPool {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
        return pool
    }

    static let config = """
        model_list:
          - model_name: gpt-4o
            litellm_params:
              model: openai/gpt-4o
              api_key: os.environ/OPENAI_API_KEY
            model_info:
              id: cfg-1
          - model_name: claude
            litellm_params:
              model: anthropic/claude-3-5-sonnet-20240620
          - model_name: gone
            litellm_params:
              model: openai/gpt-4o-mini
            model_info:
              id: cfg-3
        litellm_settings:
          drop_params: true
        """

    @Test("restarting with the same config duplicates nothing, keeps API changes and API deletions")
    func restartRule() async throws {
        let pool = try await Self.migratedPool()
        let parsed = try LiteLLMConfig.parse(Self.config, file: "config.yaml")
        #expect(parsed.ignoredSections == ["litellm_settings"])
        let loader = ConfigModelLoader(pool: pool)
        #expect(try await loader.load(parsed.models).inserted == 3)

        // The model without an id got a stable derived one.
        let derived = ConfigModelLoader.id(for: parsed.models[1])
        #expect(derived == ConfigModelLoader.id(for: try LiteLLMConfig.parse(Self.config, file: "x").models[1]))
        let models = ModelRepository(pool: pool)
        #expect(try await models.find(id: derived)?.modelName == "claude")

        // Changed and deleted through the API.
        _ = try await models.update(id: "cfg-1", actor: "api") { current in
            var changed = current
            changed.litellmParams["rpm"] = 5
            return changed
        }
        _ = try await models.delete(id: "cfg-3", actor: "api")

        // Restart with the same file: nothing duplicated, the API's change and deletion stand.
        let again = try await loader.load(parsed.models)
        #expect(again == ConfigModelLoader.Outcome(inserted: 0, updated: 0, unchanged: 2, keptDeleted: 1))
        #expect(try await models.all().count == 2)
        #expect(try await models.find(id: "cfg-1")?.litellmParams["rpm"] == 5)
        #expect(try await models.find(id: "cfg-3") == nil)

        // Edit the file's entries: the file's new text wins, and brings the deleted model back.
        let edited = Self.config
            .replacingOccurrences(of: "model: openai/gpt-4o\n", with: "model: openai/gpt-4o\n      rpm: 9\n")
            .replacingOccurrences(of: "model: openai/gpt-4o-mini", with: "model: openai/gpt-4o-mini\n      tpm: 100")
        let third = try await loader.load(try LiteLLMConfig.parse(edited, file: "config.yaml").models)
        #expect(third.updated == 1)
        #expect(third.inserted == 1)
        #expect(try await models.find(id: "cfg-1")?.litellmParams["rpm"] == 9)
        #expect(try await models.find(id: "cfg-3")?.litellmParams["tpm"] == 100)
        await pool.close()
    }

    @Test("two replicas loading the same config together never duplicate a model")
    func concurrentLoads() async throws {
        let pool = try await Self.migratedPool()
        let models = try LiteLLMConfig.parse(Self.config, file: "config.yaml").models
        try await withThrowingTaskGroup(of: ConfigModelLoader.Outcome.self) { group in
            for _ in 0..<3 { group.addTask { try await ConfigModelLoader(pool: pool).load(models) } }
            let outcomes = try await group.reduce(into: [ConfigModelLoader.Outcome]()) { $0.append($1) }
            #expect(outcomes.map(\.inserted).reduce(0, +) == 3)
        }
        #expect(try await ModelRepository(pool: pool).all().count == 3)
        await pool.close()
    }

    @Test("a config error names the file, the line and the field", arguments: [
        ("model_list:\n  - model_name: a\n    litellm_params:\n      api_base: x\n", 3, "model_list[0].litellm_params.model"),
        ("model_list:\n  - model_name: a\n    litellm_params:\n      model: m\n  - litellm_params:\n      model: m\n", 5, "model_list[1].model_name"),
        ("model_list:\n  - model_name: a\n    litellm_params: [1, 2]\n", 3, "model_list[0].litellm_params"),
        ("model_list: {}\n", 1, "model_list"),
        ("model_list:\n  - model_name: a\n    litellm_params:\n      model: m\n    model_info:\n      id: [x]\n", 6, "model_list[0].model_info.id"),
    ])
    func configErrors(text: String, line: Int, field: String) throws {
        do {
            _ = try LiteLLMConfig.parse(text, file: "/etc/catalog/config.yaml")
            Issue.record("the config should be refused")
        } catch let error as ConfigError {
            #expect(error.line == line)
            #expect(error.field == field)
            #expect(error.description.hasPrefix("/etc/catalog/config.yaml:\(line): \(field): "))
        }
    }

    @Test("invalid YAML is reported with its line")
    func invalidYAML() throws {
        do {
            _ = try LiteLLMConfig.parse("model_list:\n  - model_name: a\n   bad: [\n", file: "c.yaml")
            Issue.record("the YAML should be refused")
        } catch let error as ConfigError {
            #expect(error.line != nil)
            #expect(error.description.hasPrefix("c.yaml:"))
        }
    }
}

@Suite("Cost map import")
struct CostMapImportTests {
    static func map(_ count: Int) throws -> CostMapDocument {
        var entries: [String: Any] = ["sample_spec": ["max_tokens": "documentation"]]
        for index in 0..<count { entries["model-\(index)"] = ["input_cost_per_token": 0.000001, "litellm_provider": "openai"] }
        return try CostMapDocument(data: try JSONSerialization.data(withJSONObject: entries))
    }

    @Test("a new database gets the bundled map; small or shrinking maps are refused unless forced")
    func protections() async throws {
        let pool = try await ConfigRuleTests.migratedPool()
        let costs = CostMapRepository(pool: pool)
        #expect(try await costs.seedIfEmpty())
        #expect(try await costs.seedIfEmpty() == false)
        let bundled = try await costs.count()
        #expect(bundled > 4000)

        await #expect(throws: CatalogError.self) { try await costs.replace(with: try Self.map(49), force: false, actor: "t") }
        await #expect(throws: CatalogError.self) { try await costs.replace(with: try Self.map(bundled / 2 - 1), force: false, actor: "t") }
        #expect(try await costs.count() == bundled)

        #expect(try await costs.replace(with: try Self.map(bundled / 2 + 1), force: false, actor: "t") == bundled / 2 + 1)
        #expect(try await costs.count() == bundled / 2 + 1)
        #expect(try await costs.replace(with: try Self.map(10), force: true, actor: "t") == 10)
        #expect(try await costs.count() == 10)
        #expect(try await costs.entries(for: ["sample_spec"]).count == 0)
        #expect(throws: CatalogError.self) { try CostMapDocument(data: Data("[1,2]".utf8)) }
        await pool.close()
    }
}
