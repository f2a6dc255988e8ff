import ArgumentParser
import Foundation
import Logging
import CatalogStore
import Postgres

/// Where the catalog's database is: an existing server, or the embedded one in a data directory.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "PostgreSQL URL or conninfo (env DATABASE_URL). Without one, the embedded server in --data-dir is used.",
        valueName: "url"))
    var databaseURL: String?

    @Option(name: .long, help: ArgumentHelp("Directory of the embedded PostgreSQL and generated keys.", valueName: "dir"))
    var dataDir: String = "./.model-catalog"

    @Option(name: .long, help: "Most database connections this process opens.")
    var poolSize: Int = 10

    @Option(name: .long, help: "Seconds a request waits for a free database connection before failing.")
    var poolTimeout: Int = 10

    /// The database URL: the flag, else DATABASE_URL, else the config file's general_settings.database_url.
    func resolvedURL(config: String? = nil) -> String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        if let config, !config.isEmpty { return EnvironmentReference.resolve(config) }
        return nil
    }

    func validate() throws {
        guard poolSize >= 1 else { throw ValidationError("--pool-size must be at least 1") }
        guard poolTimeout >= 1 else { throw ValidationError("--pool-timeout must be at least 1 second") }
    }
}

/// A database ready for use: the conninfo, and the embedded server to stop afterwards, if any.
struct OpenedDatabase {
    var conninfo: String
    var embedded: EmbeddedPostgres?

    /// Connects to the configured database, starting the embedded one when no URL is given.
    static func open(_ options: DatabaseOptions, configURL: String? = nil, logger: Logger) async throws -> OpenedDatabase {
        if let url = options.resolvedURL(config: configURL) {
            return OpenedDatabase(conninfo: url, embedded: nil)
        }
        let embedded = EmbeddedPostgres(configuration: CatalogDatabase.embedded(directory: options.dataDir), logger: logger)
        try await embedded.start()
        return OpenedDatabase(conninfo: embedded.conninfo(), embedded: embedded)
    }

    /// Opens the database, migrates it, runs `body` with a pool, and closes everything whatever
    /// `body` does: the shape of every one-shot command.
    static func withMigratedPool<T>(
        _ options: DatabaseOptions, configURL: String? = nil, logger: Logger,
        _ body: (PostgresConnectionPool) async throws -> T
    ) async throws -> T {
        let opened = try await open(options, configURL: configURL, logger: logger)
        let pool = opened.makePool(options)
        let result: Result<T, Error>
        do {
            try await prepare(pool, logger: logger)
            result = .success(try await body(pool))
        } catch {
            result = .failure(error)
        }
        await pool.close()
        await opened.close(logger: logger)
        return try result.get()
    }

    /// Migrates the schema and, in a new database, loads the bundled cost map: whichever command
    /// meets a database first leaves it as `serve` would.
    static func prepare(_ pool: PostgresConnectionPool, logger: Logger) async throws {
        try await MigrationRunner(migrations: Migration.bundled(), logger: logger).run(on: pool)
        if try await CostMapRepository(pool: pool).seedIfEmpty() {
            logger.info("loaded the bundled cost map into the new database")
        }
    }

    func makePool(_ options: DatabaseOptions) -> PostgresConnectionPool {
        PostgresConnectionPool(configuration: .init(
            conninfo: conninfo, maxConnections: options.poolSize, acquireTimeout: .seconds(options.poolTimeout),
            applicationName: CatalogDatabase.applicationName))
    }

    /// Stops the embedded server, if we started one; logs rather than throws, as this runs on the way out.
    func close(logger: Logger) async {
        guard let embedded else { return }
        do {
            try await embedded.stop()
        } catch {
            logger.error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
        }
    }
}

/// LiteLLM's `os.environ/NAME` references in config values.
enum EnvironmentReference {
    static let prefix = "os.environ/"

    /// The value itself, or the named environment variable's value (nil when unset).
    static func resolve(_ value: String) -> String? {
        guard value.hasPrefix(prefix) else { return value }
        let name = String(value.dropFirst(prefix.count))
        return ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
