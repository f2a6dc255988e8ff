import Catalog
import CatalogStore
import Hummingbird
import Logging
import Postgres

/// Where the HTTP server listens, and how it authenticates.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int
    public var auth: AuthConfiguration
    /// Default source of POST /reload/model_cost_map; nil reloads the bundled copy.
    public var costMapURL: String?
    /// Seals literal secrets at rest; without one they are refused.
    public var secretKey: SecretKey?
    /// What GET /metrics exposes; the replica's listener must count into the same one.
    public var metrics: CatalogMetrics

    public init(host: String = "0.0.0.0", port: Int = 4000, auth: AuthConfiguration, costMapURL: String? = nil,
                secretKey: SecretKey? = nil, metrics: CatalogMetrics = CatalogMetrics()) {
        self.host = host
        self.port = port
        self.auth = auth
        self.costMapURL = costMapURL
        self.secretKey = secretKey
        self.metrics = metrics
    }
}

/// The replica cache: the snapshot reads come from, and the service that keeps it current.
public struct ReplicaCache: Sendable {
    public var store: SnapshotStore
    public var listener: ChangeListenerService
    /// Readiness fails once the listener has been down longer than this.
    public var listenerDownLimit: Duration

    public init(store: SnapshotStore, listener: ChangeListenerService, listenerDownLimit: Duration = .seconds(30)) {
        self.store = store
        self.listener = listener
        self.listenerDownLimit = listenerDownLimit
    }
}

/// Builds the ModelCatalog HTTP application over a migrated database. With a `cache`, reads come
/// from the replica's snapshot and its listener runs as a service of the application; without
/// (`serve --no-cache`), every read queries PostgreSQL.
public func buildApplication(
    options: ServerOptions,
    pool: PostgresConnectionPool,
    cache: ReplicaCache? = nil,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(options: options, pool: pool, cache: cache)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "model-catalog"),
        services: cache.map { [$0.listener] } ?? [],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}

/// Every route, on one screen: public probes first, then everything behind a key.
public func buildRouter(options: ServerOptions, pool: PostgresConnectionPool, cache: ReplicaCache? = nil) -> Router<CatalogRequestContext> {
    let models = ModelRepository(pool: pool, secretKey: options.secretKey)
    let costs = CostMapRepository(pool: pool)
    let keys = KeyRepository(pool: pool)
    let reader: any CatalogReading = cache.map { SnapshotCatalogReader(store: $0.store) }
        ?? DatabaseCatalogReader(models: models, costs: costs)
    // Read-your-writes: the replica that makes a write applies it before it replies.
    let afterWrite: @Sendable () async -> Void = {
        guard let store = cache?.store else { return }
        try? await store.catchUp()
    }

    let router = Router(context: CatalogRequestContext.self)
    router.add(middleware: RequestTelemetryMiddleware(metrics: options.metrics))
    let routeMethods = RouteMethods()
    router.add(middleware: ErrorMiddleware(routes: routeMethods))
    HealthController(pool: pool, cache: cache).addRoutes(to: router)
    OpenAPIController.bundled().addRoutes(to: router)
    MetricsController(metrics: options.metrics, pool: pool, cache: cache).addRoutes(to: router)
    let costMap = CostMapController(costs: costs, defaultSource: options.costMapURL, afterWrite: afterWrite)
    costMap.addPublicRoutes(to: router)

    let authenticated = router.group().add(middleware: AuthMiddleware(authenticator: Authenticator(configuration: options.auth, keys: keys, snapshot: cache?.store)))
    let reads = ModelReadController(reader: reader)
    reads.addRoutes(to: authenticated)
    OpenAIModelsController(reads: reads).addRoutes(to: authenticated)
    ModelWriteController(models: models, reader: reader, afterWrite: afterWrite).addRoutes(to: authenticated)
    costMap.addRoutes(to: authenticated)
    TeamController(tenants: TenantRepository(pool: pool), keys: keys, afterWrite: afterWrite).addRoutes(to: authenticated)
    KeyController(keys: keys, afterWrite: afterWrite).addRoutes(to: authenticated)
    HistoryController(history: HistoryRepository(pool: pool)).addRoutes(to: authenticated)
    routeMethods.load(from: router)
    return router
}
