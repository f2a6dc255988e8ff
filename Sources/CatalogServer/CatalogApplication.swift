import Catalog
import CatalogStore
import Hummingbird
import Logging
import ServiceLifecycle

/// Everything a ModelCatalog application is built from: `serve` fills it from flags and the
/// environment, tests with their own values. Test-only knobs are fields here, never copies of
/// the wiring.
public struct CatalogConfiguration: Sendable {
    /// The database, its pool and the key that seals secrets.
    public var database: CatalogDatabase.Configuration
    public var host: String
    public var port: Int
    public var auth: AuthConfiguration
    /// Default source of POST /reload/model_cost_map; nil reloads the bundled copy.
    public var costMapURL: String?
    /// What GET /metrics exposes.
    public var metrics: CatalogMetrics
    /// Migrate the schema and seed a new database's cost map before anything else.
    public var prepareDatabase: Bool
    /// A LiteLLM config's models to load at start (`serve --config`), and the file that named them.
    public var config: (file: String, models: [LiteLLMConfig.Model])?
    /// The config's router aliases (`router_settings.model_group_alias`) to store at start: they
    /// replace the aliases an earlier config stored. Nil leaves the stored aliases alone.
    public var aliases: [ModelGroupAlias]?
    /// Answer reads from the replica's in-memory snapshot kept current by the change listener;
    /// nil (`serve --no-cache`) answers every read with a database query.
    public var replica: ReplicaOptions?
    /// Timeouts and caps of the HTTP layer (slow clients, oversized requests, connection count).
    public var limits: ServerLimits = ServerLimits()
    /// How large a model, and how many models and bytes a tenant, API writes may make.
    public var modelQuota: ModelQuota = ModelQuota()

    public init(
        database: CatalogDatabase.Configuration, host: String = "0.0.0.0", port: Int = 4000, auth: AuthConfiguration,
        costMapURL: String? = nil, metrics: CatalogMetrics = CatalogMetrics(), prepareDatabase: Bool = true,
        config: (file: String, models: [LiteLLMConfig.Model])? = nil, replica: ReplicaOptions? = ReplicaOptions()
    ) {
        self.database = database
        self.host = host
        self.port = port
        self.auth = auth
        self.costMapURL = costMapURL
        self.metrics = metrics
        self.prepareDatabase = prepareDatabase
        self.config = config
        self.replica = replica
    }
}

/// How a replica follows the change log.
public struct ReplicaOptions: Sendable {
    /// Readiness fails once the listener has been down, or a known change has waited, longer than
    /// this; past it, keys are checked against the database rather than the snapshot.
    public var listenerDownLimit: Duration
    /// How often the safety poll compares the log's newest seq with the snapshot's.
    public var pollInterval: Duration
    /// The longest wait between two reconnects of the listener.
    public var maxBackoff: Duration
    /// How often a replica that reads a hot standby asks it for new changes (a standby cannot
    /// LISTEN): the most a change waits on it after the standby has it.
    public var followInterval: Duration

    public init(listenerDownLimit: Duration = .seconds(30), pollInterval: Duration = .seconds(2),
                maxBackoff: Duration = .seconds(5), followInterval: Duration = .milliseconds(10)) {
        self.listenerDownLimit = listenerDownLimit
        self.pollInterval = pollInterval
        self.maxBackoff = maxBackoff
        self.followInterval = followInterval
    }
}

/// The replica cache: the snapshot reads come from, and the service that keeps it current.
public struct ReplicaCache: Sendable {
    public let store: SnapshotStore
    public let listener: ChangeListenerService
    public let listenerDownLimit: Duration

    /// Whether the snapshot can be trusted as the catalog: the listener is up (or was down for
    /// less than the limit) and no known change has waited longer than the limit.
    func isCurrent(listener status: ListenerStatus, lag: ReplicaLag, at now: ContinuousClock.Instant) -> Bool {
        let listening = status.connected || (status.downSince.map { now - $0 < listenerDownLimit } ?? false)
        return listening && lag.seconds(at: now) < listenerDownLimit
    }

    /// The same question, asked now.
    func isCurrent() async -> Bool {
        isCurrent(listener: listener.status, lag: await store.lag(), at: .now)
    }
}

/// A built application and what it was built over, for those who need more than to run it
/// (tests reach the snapshot, to catch up after plain SQL, and the database).
public struct CatalogApplication: Sendable {
    public let application: Application<RouterResponder<CatalogRequestContext>>
    public let database: CatalogDatabase
    public let cache: ReplicaCache?
    /// Every route, as "METHOD /path" with Hummingbird's `{capture}` and `**` (the OpenAPI test
    /// compares them with openapi.yaml).
    public let routes: [String]

    /// Serves until graceful shutdown (SIGTERM/SIGINT under `serve`'s service group).
    public func run() async throws { try await application.run() }
}

/// The composition root: the one place that creates the database pool, prepares the schema, loads
/// the config's models, loads the snapshot, and wires the listener, the router and the HTTP
/// server. The pool, the listener and the server are services of one group: on graceful shutdown
/// the server drains first, then the listener stops, then the pool closes.
public func buildApplication(
    configuration: CatalogConfiguration,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> CatalogApplication {
    let database = CatalogDatabase(configuration: configuration.database)
    let cache: ReplicaCache?
    do {
        if configuration.prepareDatabase, try await database.prepare(logger: logger) {
            logger.info("loaded the bundled cost map into the new database")
        }
        if let config = configuration.config {
            let outcome = try await database.loadConfig(config.models, file: config.file)
            logger.info("config models loaded", metadata: [
                "file": "\(config.file)", "inserted": "\(outcome.inserted)", "updated": "\(outcome.updated)",
                "unchanged": "\(outcome.unchanged)", "deleted_through_api": "\(outcome.keptDeleted)",
            ])
        }
        if let aliases = configuration.aliases, try await database.aliases.loadConfig(aliases) {
            logger.info("config aliases stored", metadata: ["aliases": "\(aliases.count)"])
        }
        if let options = configuration.replica {
            // What this process just wrote (migrations, the config's models) is on the standby
            // before the snapshot is read there.
            try await database.awaitStandbyReplay(timeout: .seconds(60))
            let store = try await SnapshotStore.load(feed: database.feed, logger: logger)
            let listener = ChangeListenerService(
                database: database, store: store, logger: logger, pollInterval: options.pollInterval,
                maxBackoff: options.maxBackoff, followInterval: options.followInterval, metrics: configuration.metrics)
            cache = ReplicaCache(store: store, listener: listener, listenerDownLimit: options.listenerDownLimit)
        } else {
            cache = nil
        }
    } catch {
        await database.close()
        throw error
    }
    let hub = cache.map { ChangeStreamHub(feed: database.feed, applied: $0.store.applied, logger: logger) }
    let subscribers = StreamSubscribers()
    let router = buildRouter(configuration: configuration, database: database, cache: cache, hub: hub, subscribers: subscribers)
    // Shut down in reverse: the server drains, then the fleet report and the stream's hub, the
    // listener, the pool.
    let services: [any Service] = [DatabaseService(database: database)] + (cache.map { [$0.listener] } ?? [])
        + (hub.map { [ChangeStreamService(hub: $0)] } ?? [])
        + (cache.map { [FleetService(fleet: database.fleet, store: $0.store, subscribers: subscribers, identity: FleetIdentity(),
                                     logger: logger)] } ?? [])
    let application = Application(
        router: router,
        server: .guardedHTTP1(limits: configuration.limits),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "model-catalog",
            availableConnectionsDelegate: .maximum(configuration.limits.maxConnections + configuration.limits.probeConnections, logger: logger)),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    return CatalogApplication(application: application, database: database, cache: cache,
                              routes: router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
}

/// Every route, on one screen: public probes first, then everything behind a key.
func buildRouter(configuration: CatalogConfiguration, database: CatalogDatabase, cache: ReplicaCache?,
                 hub: ChangeStreamHub?, subscribers: StreamSubscribers) -> Router<CatalogRequestContext> {
    let reader: any CatalogReading = cache.map { SnapshotCatalogReader(store: $0.store) }
        ?? DatabaseCatalogReader(models: database.models, costs: database.costs, aliases: database.aliases)
    // Read-your-writes: the replica that makes a write applies the write's own effect before it
    // replies (never a catch-up of everything else, which a backlog can make long).
    // With a read standby, the write is read back there once the standby has replayed it.
    let afterWrite: @Sendable (WriteEffect) async -> Void = { effect in
        guard let store = cache?.store else { return }
        try? await database.awaitStandbyReplay()
        try? await store.apply(effect)
    }

    let router = Router(context: CatalogRequestContext.self)
    router.add(middleware: RequestTelemetryMiddleware(metrics: configuration.metrics))
    let routeMethods = RouteMethods()
    router.add(middleware: ErrorMiddleware(routes: routeMethods))
    HealthController(database: database, cache: cache).addRoutes(to: router)
    OpenAPIController.bundled().addRoutes(to: router)
    AdminPageController.bundled().addRoutes(to: router)
    MetricsController(metrics: configuration.metrics, database: database, cache: cache, subscribers: subscribers).addRoutes(to: router)
    let costMap = CostMapController(costs: database.costs, defaultSource: configuration.costMapURL, afterWrite: afterWrite)
    costMap.addPublicRoutes(to: router)

    let authenticator = Authenticator(configuration: configuration.auth, keys: database.keys, snapshot: cache?.store,
                                      snapshotIsCurrent: { await cache?.isCurrent() ?? true })
    let authenticated = router.group().add(middleware: AuthMiddleware(authenticator: authenticator))
        .add(middleware: CatalogSeqMiddleware(store: cache?.store, feed: database.feed))
    let reads = ModelReadController(reader: reader)
    reads.addRoutes(to: authenticated)
    OpenAIModelsController(reads: reads).addRoutes(to: authenticated)
    ModelWriteController(models: database.models, reader: reader, quota: configuration.modelQuota, afterWrite: afterWrite).addRoutes(to: authenticated)
    ConfigController(loader: database.configLoader, afterWrite: afterWrite).addRoutes(to: authenticated)
    PriceOverrideController(overrides: database.priceOverrides, afterWrite: afterWrite).addRoutes(to: authenticated)
    ModelBatchController(models: database.models, reader: reader, quota: configuration.modelQuota, afterWrite: afterWrite)
        .addRoutes(to: authenticated)
    AccessGroupController(models: database.models, reader: reader, quota: configuration.modelQuota, afterWrite: afterWrite)
        .addRoutes(to: authenticated)
    costMap.addRoutes(to: authenticated)
    TeamController(tenants: database.tenants, keys: database.keys, afterWrite: afterWrite).addRoutes(to: authenticated)
    KeyController(keys: database.keys, afterWrite: afterWrite).addRoutes(to: authenticated)
    HistoryController(history: database.history, models: database.models, reader: reader, quota: configuration.modelQuota,
                      afterWrite: afterWrite).addRoutes(to: authenticated)
    CredentialController(credentials: database.credentials,
                         reader: CredentialReader(store: cache?.store, credentials: database.credentials, models: database.models),
                         afterWrite: afterWrite).addRoutes(to: authenticated)
    CatalogStreamController(store: cache?.store, hub: hub, feed: database.feed, authenticator: authenticator,
                            open: { [metrics = configuration.metrics] principal, deployments in
                                // Opened afresh on every call, counted per key, never cached or logged.
                                let opened = try await database.routing.routingParams(for: deployments)
                                metrics.routingViewOpened(keyID: principal.keyToken ?? principal.actor, models: opened.count)
                                return opened
                            },
                            subscribers: subscribers)
        .addRoutes(to: authenticated)
    FleetController(fleet: database.fleet, feed: database.feed).addRoutes(to: authenticated)
    routeMethods.load(from: router)
    return router
}

/// Closes the database's pool once the services after it (the listener, the HTTP server) have
/// stopped: a service group shuts its services down in reverse order.
struct DatabaseService: Service {
    let database: CatalogDatabase

    func run() async throws {
        try? await gracefulShutdown()
        await database.close()
    }
}
