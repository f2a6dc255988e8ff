import Hummingbird
import Logging
import Postgres

/// Where the HTTP server listens.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "0.0.0.0", port: Int = 4000) {
        self.host = host
        self.port = port
    }
}

/// Builds the ModelCatalog HTTP application over a migrated database.
public func buildApplication(
    options: ServerOptions,
    pool: PostgresConnectionPool,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = Router()
    HealthController(pool: pool).addRoutes(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "model-catalog"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}
