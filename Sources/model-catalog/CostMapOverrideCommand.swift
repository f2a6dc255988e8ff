import ArgumentParser
import Catalog
import CatalogStore
import Foundation
import Logging

/// `model-catalog cost-map override set|list|delete`: operators' price overrides from the shell,
/// as /cost_map/overrides makes them (acting as "cli").
struct CostMapOverrideCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "override",
        abstract: "Price cost-map keys for every tenant, over the cost map (a reload never erases an override).",
        discussion: """
            Examples:
              model-catalog cost-map override set --model gpt-4o --price input_cost_per_token=2e-06 --note "negotiated"
              model-catalog cost-map override list --drift
              model-catalog cost-map override delete --model gpt-4o
            """,
        subcommands: [Set.self, List.self, Delete.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set a key's override (replacing its previous prices); prints it as JSON.",
            discussion: """
                Examples:
                  model-catalog cost-map override set --model gpt-4o --price input_cost_per_token=2e-06 --note "negotiated"
                  model-catalog cost-map override set --model azure/gpt-4o --price input_cost_per_token=2e-06 --price output_cost_per_token=8e-06
                """)

        @Option(help: "The cost-map key (as /utils/model_info names it in key).")
        var model: String

        @Option(help: ArgumentHelp("A price, FIELD=NUMBER (repeat for several).", valueName: "field=number"))
        var price: [String] = []

        @Option(help: "Why (shown with the override).")
        var note: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            var prices: [String: JSONValue] = [:]
            for item in price {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let number = Double(parts[1]) else {
                    throw ValidationError("--price takes FIELD=NUMBER, e.g. input_cost_per_token=2e-06, not '\(item)'")
                }
                prices[parts[0]] = .double(number)
            }
            let (model, note) = (model, note)
            let checked: [String: JSONValue]
            do { checked = try PriceOverride.checkedPrices(.object(prices), field: "--price") } catch let error as CatalogError {
                throw ValidationError(error.message)
            }
            let json = try await OpenedDatabase.withMigratedPool(database, logger: Logger(label: "model-catalog")) { pool in
                let (saved, upstream) = try await PriceOverrideRepository(pool: pool).set(
                    key: model, prices: checked, note: note, expected: nil, actor: "cli")
                return saved.json(upstreamEntry: upstream)
            }
            print(JSONWriter.string(json))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List the overrides as JSON (GET /cost_map/overrides).",
            discussion: """
                Examples:
                  model-catalog cost-map override list
                  model-catalog cost-map override list --drift
                """)

        @Flag(help: "Only the overrides whose upstream price changed since they were set.")
        var drift = false

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let onlyDrifted = drift
            let listed = try await OpenedDatabase.withMigratedPool(database, logger: Logger(label: "model-catalog")) { pool in
                try await PriceOverrideRepository(pool: pool).listed(onlyDrifted: onlyDrifted)
            }
            print(JSONWriter.string(["data": .array(listed)]))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete a key's override: its prices follow the cost map again.",
            discussion: """
                Examples:
                  model-catalog cost-map override delete --model gpt-4o
                """)

        @Option(help: "The cost-map key.")
        var model: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let model = model
            do {
                try await OpenedDatabase.withMigratedPool(database, logger: Logger(label: "model-catalog")) { pool in
                    try await PriceOverrideRepository(pool: pool).delete(key: model, expected: nil, actor: "cli")
                }
            } catch let error as CatalogError {
                throw ValidationError(error.message)
            }
            print("deleted the price override of \(model)")
        }
    }
}
