import ArgumentParser
import Foundation
import Catalog
import CatalogServer
import CatalogStore
import Hummingbird
import Logging
import Postgres
import ServiceLifecycle

/// `model-catalog serve`: migrates the database, loads the config's models and serves the HTTP
/// API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalog's HTTP API (LiteLLM-compatible).",
        discussion: """
            Stops gracefully on SIGINT (Ctrl-C) or SIGTERM, and stops the embedded PostgreSQL too.

            Master key: LITELLM_MASTER_KEY, else general_settings.master_key of --config; on the
            embedded database without either, one is generated into DATA_DIR/master_key (mode 0600).
            With an external database and no master key, serve refuses to start unless
            --insecure-no-auth is given.

            Secret key (seals literal secrets at rest, AES-GCM): CATALOG_SECRET_KEY (base64 of 32
            bytes) or LITELLM_SALT_KEY; on the embedded database without either, one is generated
            into DATA_DIR/secret_key (mode 0600). Without a key, literal secrets are refused.

            Examples:
              model-catalog serve --config examples/config.yaml
              model-catalog serve --host 127.0.0.1 --port 4000
              LITELLM_MASTER_KEY=sk-1234 model-catalog serve --database-url postgres://catalog@db.internal/catalog
            """)

    @Option(name: .long, help: ArgumentHelp("LiteLLM config.yaml to load (model_list, general_settings).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "0.0.0.0"

    @Option(name: .long, help: "Port to listen on (LiteLLM's default is 4000).")
    var port: Int = 4000

    @Option(name: .long, help: ArgumentHelp(
        "Default source of POST /reload/model_cost_map (env LITELLM_MODEL_COST_MAP_URL); without one it reloads the bundled copy.",
        valueName: "url"))
    var costMapURL: String?

    @Flag(name: .long, help: "Serve every caller as admin when no master key is set. Never on a shared network.")
    var insecureNoAuth = false

    @Flag(name: .long, help: "Answer every read with a database query instead of the in-memory snapshot.")
    var noCache = false

    @Option(name: .long, help: "Seconds the change listener may be down, or a change wait, before readiness fails and keys are checked in the database (reads go on from the snapshot).")
    var listenerDownLimit: Int = 30

    @Option(name: .long, help: ArgumentHelp(
        "A hot standby of the database (streaming replication) to load the snapshot and follow the change log from, instead of the primary (env READ_DATABASE_URL). Writes still go to the primary.",
        valueName: "url"))
    var readDatabaseURL: String?

    @Option(name: .long, help: "Milliseconds between two looks at the read standby's change log (it cannot LISTEN).")
    var followIntervalMs: Int = 10

    @Option(name: .long, help: "Log lines as text or json (one object per line).")
    var logFormat: LogFormat = .text

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var serverLimits: ServerLimitOptions

    @OptionGroup var modelQuota: ModelQuotaOptions

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard listenerDownLimit >= 1 else { throw ValidationError("--listener-down-limit must be at least 1 second") }
        guard (1...10_000).contains(followIntervalMs) else { throw ValidationError("--follow-interval-ms must be from 1 to 10000") }
        if readDatabaseURL != nil, noCache {
            throw ValidationError("--read-database-url feeds the in-memory snapshot: it does nothing with --no-cache")
        }
    }

    func run() async throws {
        if logFormat == .json {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        let logger = Logger(label: "model-catalog")
        // SIGTERM and SIGINT are handled from the first step on, not only once the HTTP server
        // runs: a signal during start-up (initdb, migrations, loading the snapshot) ends the step
        // under way, then stops what was started, the embedded PostgreSQL included, and exits 0.
        let command = self
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: StartupAndServe { try await command.serve(logger: logger) })],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }

    /// True, after saying so, when a signal asked to stop: checked between start-up steps.
    private func stopRequested(_ logger: Logger) -> Bool {
        guard Task.isShuttingDownGracefully else { return false }
        logger.notice("stopping before start-up finished")
        return true
    }

    private func serve(logger: Logger) async throws {
        try verifyBundledResources()
        let loaded: LiteLLMConfig?
        do {
            loaded = try config.map { try LiteLLMConfig.load(path: $0) }
        } catch let error as ConfigError {
            logger.critical("config error: \(error)")
            throw ExitCode.failure
        }
        if let loaded, !loaded.ignoredSections.isEmpty {
            logger.info("config sections not used by the catalog: \(loaded.ignoredSections.joined(separator: ", "))")
        }
        let external = database.resolvedURL(config: loaded?.databaseURL) != nil
        let masterKey = try MasterKey.resolve(
            configKey: loaded?.masterKey, embeddedDataDir: external ? nil : database.dataDir,
            insecureNoAuth: insecureNoAuth, logger: logger)
        if masterKey == nil { logger.warning("--insecure-no-auth: every caller is served as admin") }
        let secretKey = try SecretKeyOption.resolve(embeddedDataDir: external ? nil : database.dataDir, logger: logger)
        if secretKey == nil {
            logger.notice("no CATALOG_SECRET_KEY: literal secrets in litellm_params are refused (os.environ/NAME references are fine)")
        }

        let opened = try await OpenedDatabase.open(database, configURL: loaded?.databaseURL, logger: logger)
        let outcome: Result<Void, Error>
        do {
            try await startAndServe(loaded: loaded, opened: opened, masterKey: masterKey, secretKey: secretKey, logger: logger)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        // Requests have drained and the pool has closed (the application's services stopped in
        // order); now PostgreSQL.
        await opened.close(logger: logger)
        switch outcome {
        case .success:
            logger.info("model-catalog stopped")
        case .failure(let error as ConfigError):
            logger.critical("config error: \(error)")
            throw ExitCode.failure
        case .failure(let error):
            logger.error("model-catalog stopped on an error", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }

    private func startAndServe(
        loaded: LiteLLMConfig?, opened: OpenedDatabase, masterKey: String?, secretKey: SecretKey?, logger: Logger
    ) async throws {
        if stopRequested(logger) { return }
        var configuration = CatalogConfiguration(
            database: .init(conninfo: opened.conninfo, maxConnections: database.poolSize,
                            acquireTimeout: .seconds(database.poolTimeout), secretKey: secretKey,
                            readConninfo: readDatabaseURL ?? ProcessInfo.processInfo.environment["READ_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }),
            host: host, port: port,
            auth: AuthConfiguration(masterKey: masterKey, insecureNoAuth: masterKey == nil),
            costMapURL: costMapURL ?? EnvironmentReference.resolve("os.environ/LITELLM_MODEL_COST_MAP_URL"),
            config: loaded.flatMap { loaded in config.map { (file: $0, models: loaded.models) } },
            replica: noCache ? nil : ReplicaOptions(listenerDownLimit: .seconds(listenerDownLimit),
                                                    followInterval: .milliseconds(followIntervalMs)))
        // A config file's router aliases are the config's aliases (none: it has none).
        configuration.aliases = loaded.map { $0.aliases ?? [] }
        configuration.limits = serverLimits.limits
        configuration.modelQuota = modelQuota.quota
        let application = try await buildApplication(configuration: configuration, logger: logger)
        if stopRequested(logger) {
            await application.database.close()
            return
        }
        // Inside this service's group, the application's own group shuts down with it: the HTTP
        // server stops accepting and drains in-flight requests, then the change listener stops,
        // then the pool closes.
        try await application.run()
    }
}

/// The whole of `serve` as one service, so that a signal reaches it from the first step on.
private struct StartupAndServe: Service {
    let body: @Sendable () async throws -> Void

    func run() async throws { try await body() }
}
