import ArgumentParser

/// The `model-catalog` command line: serve the catalog, migrate its database.
@main
struct ModelCatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-catalog",
        abstract: "A LiteLLM-compatible model catalog over PostgreSQL.",
        discussion: """
            With no --database-url (and no DATABASE_URL), ModelCatalog runs its own PostgreSQL in
            --data-dir (default ./.model-catalog), so it needs no database to try it.

            Examples:
              model-catalog serve
              model-catalog serve --port 4000 --database-url postgres://catalog@db/catalog
              model-catalog migrate --data-dir /var/lib/model-catalog
            """,
        subcommands: [ServeCommand.self, MigrateCommand.self, CostMapCommand.self, KeysCommand.self, SecretsCommand.self]
    )
}
