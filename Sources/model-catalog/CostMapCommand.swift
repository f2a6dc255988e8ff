import ArgumentParser
import CatalogServer
import CatalogStore
import Foundation
import Logging

/// `model-catalog cost-map import FILE|URL`: replaces the catalog's cost map.
struct CostMapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cost-map",
        abstract: "Manage the cost map (LiteLLM's model_prices_and_context_window.json).",
        discussion: """
            Examples:
              model-catalog cost-map import model_prices_and_context_window.json
              model-catalog cost-map import https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json
              model-catalog cost-map override set --model gpt-4o --price input_cost_per_token=2e-06
            """,
        subcommands: [Import.self, CostMapOverrideCommand.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Replace the cost map with a file or a URL in LiteLLM's format.",
            discussion: """
                Refuses a map of fewer than 50 entries, or one that would shrink the current map by
                more than half, unless --force is given.

                Examples:
                  model-catalog cost-map import model_prices_and_context_window.json
                  model-catalog cost-map import https://example.com/model_prices.json --force
                """)

        @Argument(help: ArgumentHelp("A file path, or an http(s) URL.", valueName: "file-or-url"))
        var source: String

        @Flag(help: "Load the map even if it is small or shrinks the current one.")
        var force = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = Logger(label: "model-catalog")
            let document: CostMapDocument
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                document = try await CostMapFetcher.fetch(source)
            } else {
                guard let data = FileManager.default.contents(atPath: source) else {
                    throw ValidationError("cannot read \(source)")
                }
                document = try CostMapDocument(data: data)
            }
            let count = try await OpenedDatabase.withMigratedPool(database, logger: logger) { pool in
                try await CostMapRepository(pool: pool).replace(with: document, force: force, actor: "cli")
            }
            print("cost map replaced: \(count) entries")
        }
    }
}
