import ArgumentParser

/// The `model-catalog` command line: serve the catalog, migrate its database.
@main
struct ModelCatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-catalog",
        abstract: "A LiteLLM-compatible model catalog over PostgreSQL.",
        discussion: """
            With no --database-url (and no DATABASE_URL), ModelCatalog runs its own
            PostgreSQL in --data-dir (default ./.model-catalog): no database is needed to try it.

            Examples:
              model-catalog serve
              model-catalog serve --port 4000 --database-url postgres://catalog@db/catalog
              model-catalog import-config config.yaml
              model-catalog models list --json
              model-catalog migrate --data-dir /var/lib/model-catalog
            """,
        subcommands: [
            ServeCommand.self, ImportConfigCommand.self, ModelsCommand.self, KeysCommand.self, CostMapCommand.self,
            SecretsCommand.self, MigrateCommand.self,
        ]
    )
}
