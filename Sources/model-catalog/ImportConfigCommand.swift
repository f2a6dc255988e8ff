import ArgumentParser
import Catalog
import CatalogStore
import Logging

/// `model-catalog import-config FILE`: loads a LiteLLM config's model_list into the catalog and
/// exits, by the same rule `serve --config` applies at start (README, "Config and the API").
struct ImportConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-config",
        abstract: "Load a LiteLLM config.yaml's model_list into the catalog, without serving.",
        discussion: """
            New entries are inserted, entries whose text changed are updated, unchanged entries
            leave their row alone (API edits survive), and a model deleted through the API stays
            deleted. Literal secrets are sealed with the secret key (CATALOG_SECRET_KEY); without
            one they are refused: reference them as os.environ/NAME. The database is --database-url,
            else DATABASE_URL, else the file's general_settings.database_url, else the embedded one.

            --dry-run prints what the import would do and changes nothing: models to add (+), to
            change (~, field by field, secrets redacted), deleted through the API and kept deleted
            (-), and how many are unchanged. --json prints it as POST /config/plan answers it.

            Examples:
              model-catalog import-config config.yaml
              model-catalog import-config config.yaml --dry-run
              DATABASE_URL=postgres://catalog@db/catalog CATALOG_SECRET_KEY=... model-catalog import-config config.yaml
            """)

    @Argument(help: ArgumentHelp("The LiteLLM config file.", valueName: "file"))
    var file: String

    @Flag(help: "Print what the import would do, and change nothing.")
    var dryRun = false

    @Flag(help: "With --dry-run, print the plan as JSON, as POST /config/plan answers it.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        if json && !dryRun { throw ValidationError("--json goes with --dry-run") }
    }

    func run() async throws {
        let logger = Logger(label: "model-catalog")
        // A ConfigError names the file, line and field; ArgumentParser prints it and exits 1.
        let config = try LiteLLMConfig.load(path: file)
        let external = database.resolvedURL(config: config.databaseURL) != nil
        let secretKey = try SecretKeyOption.resolve(embeddedDataDir: external ? nil : database.dataDir, logger: logger)
        if dryRun {
            let plan = try await OpenedDatabase.withMigratedPool(database, configURL: config.databaseURL, logger: logger) { pool in
                try await ConfigModelLoader(pool: pool, secretKey: secretKey).plan(config.models, file: file)
            }
            print(json ? JSONWriter.string(plan.json) : plan.text, terminator: json ? "\n" : "")
            return
        }
        let outcome = try await OpenedDatabase.withMigratedPool(database, configURL: config.databaseURL, logger: logger) { pool in
            let outcome = try await ConfigModelLoader(pool: pool, secretKey: secretKey).load(config.models, file: file)
            // The file's router aliases become the config's aliases, as at `serve --config`.
            try await AliasRepository(pool: pool).loadConfig(config.aliases ?? [])
            return outcome
        }
        print("""
            \(file): \(config.models.count) models: \(outcome.inserted) inserted, \(outcome.updated) updated, \
            \(outcome.unchanged) unchanged, \(outcome.keptDeleted) kept deleted (deleted through the API)
            """)
    }
}
