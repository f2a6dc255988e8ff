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

    public init(host: String = "0.0.0.0", port: Int = 4000, auth: AuthConfiguration, costMapURL: String? = nil,
                secretKey: SecretKey? = nil) {
        self.host = host
        self.port = port
        self.auth = auth
        self.costMapURL = costMapURL
        self.secretKey = secretKey
    }
}

/// Builds the ModelCatalog HTTP application over a migrated database.
public func buildApplication(
    options: ServerOptions,
    pool: PostgresConnectionPool,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildRouter(options: options, pool: pool)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "model-catalog"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}

/// Every route, on one screen: public probes first, then everything behind a key.
public func buildRouter(options: ServerOptions, pool: PostgresConnectionPool) -> Router<CatalogRequestContext> {
    let models = ModelRepository(pool: pool, secretKey: options.secretKey)
    let costs = CostMapRepository(pool: pool)
    let keys = KeyRepository(pool: pool)
    let reader = DatabaseCatalogReader(models: models, costs: costs)

    let router = Router(context: CatalogRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    HealthController(pool: pool).addRoutes(to: router)
    let costMap = CostMapController(costs: costs, defaultSource: options.costMapURL)
    costMap.addPublicRoutes(to: router)

    let authenticated = router.group().add(middleware: AuthMiddleware(authenticator: Authenticator(configuration: options.auth, keys: keys)))
    let reads = ModelReadController(reader: reader)
    reads.addRoutes(to: authenticated)
    OpenAIModelsController(reads: reads).addRoutes(to: authenticated)
    ModelWriteController(models: models, reader: reader).addRoutes(to: authenticated)
    costMap.addRoutes(to: authenticated)
    TeamController(tenants: TenantRepository(pool: pool), keys: keys).addRoutes(to: authenticated)
    KeyController(keys: keys).addRoutes(to: authenticated)
    return router
}
