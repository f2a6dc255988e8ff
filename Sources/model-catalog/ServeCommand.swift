import ArgumentParser
import CatalogServer
import CatalogStore
import Hummingbird
import Logging

/// `model-catalog serve`: migrates the database and serves the HTTP API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalog's HTTP API (LiteLLM-compatible).",
        discussion: """
            Stops gracefully on SIGINT (Ctrl-C) or SIGTERM, and stops the embedded PostgreSQL too.

            Examples:
              model-catalog serve
              model-catalog serve --host 127.0.0.1 --port 4000
              model-catalog serve --database-url postgres://catalog@db.internal/catalog
            """)

    @Option(name: .long, help: ArgumentHelp("LiteLLM config.yaml to load (model_list, general_settings).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(name: .long, help: "Port to listen on (LiteLLM's default is 4000).")
    var port: Int = 4000

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let logger = Logger(label: "model-catalog")
        let opened = try await OpenedDatabase.open(database, logger: logger)
        let pool = opened.makePool(database)
        do {
            try await MigrationRunner(migrations: Migration.bundled(), logger: logger).run(on: pool)
            let app = buildApplication(options: ServerOptions(host: host, port: port), pool: pool, logger: logger)
            try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        } catch {
            logger.error("model-catalog stopped on an error", metadata: ["error": "\(error)"])
            await pool.close()
            await opened.close(logger: logger)
            throw ExitCode.failure
        }
        await pool.close()
        await opened.close(logger: logger)
    }
}
