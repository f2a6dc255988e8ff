import ArgumentParser
import CatalogStore
import Logging

/// `model-catalog migrate`: applies pending schema migrations and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations, then exit.",
        discussion: """
            Examples:
              model-catalog migrate
              DATABASE_URL=postgres://catalog@db/catalog model-catalog migrate
            """)

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = Logger(label: "model-catalog")
        // Not withMigratedPool: what the runner applied is what this command reports.
        let opened = try await OpenedDatabase.open(database, logger: logger)
        let pool = opened.makePool(database)
        let applied: [String]
        do {
            applied = try await MigrationRunner(migrations: Migration.bundled(), logger: logger).run(on: pool)
        } catch {
            await pool.close()
            await opened.close(logger: logger)
            throw error
        }
        await pool.close()
        await opened.close(logger: logger)
        print(applied.isEmpty ? "schema is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}
