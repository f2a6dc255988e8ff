import Catalog
import Logging
import Postgres

/// The catalog's database as the layers above see it: one connection pool, the repositories over
/// it, the change feed and its notifications. Owns every statement, the sealing of secrets and
/// the mapping of database failures (`StoreErrors`); nothing above it imports the driver.
public final class CatalogDatabase: Sendable {
    /// How to reach the database.
    public struct Configuration: Sendable {
        /// A libpq conninfo string or a `postgres://` URL.
        public var conninfo: String
        /// Most connections the pool opens (the change listener holds one more of its own).
        public var maxConnections: Int
        /// How long a request waits for a free connection before it fails with 503.
        public var acquireTimeout: Duration
        /// Seals literal secrets at rest; without one they are refused.
        public var secretKey: SecretKey?
        /// A hot standby of the database (PostgreSQL streaming replication) to read the snapshot,
        /// the change log and the change stream from, so that replicas load and follow it
        /// instead of the primary; writes still go to `conninfo`. Nil: everything on `conninfo`.
        public var readConninfo: String?

        public init(conninfo: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10), secretKey: SecretKey? = nil,
                    readConninfo: String? = nil) {
            self.conninfo = conninfo
            self.readConninfo = readConninfo
            self.maxConnections = maxConnections
            self.acquireTimeout = acquireTimeout
            self.secretKey = secretKey
        }
    }

    public let configuration: Configuration
    public let models: ModelRepository
    public let costs: CostMapRepository
    public let keys: KeyRepository
    public let tenants: TenantRepository
    public let history: HistoryRepository
    public let aliases: AliasRepository
    public let credentials: CredentialRepository
    public let feed: ChangeFeed
    public let fleet: FleetRepository
    /// Opens secrets for gateway keys' routing view; never cached.
    public let routing: RoutingSecrets
    private let pool: PostgresConnectionPool
    /// The standby's pool, when reads of the log go there (`Configuration.readConninfo`).
    private let readPool: PostgresConnectionPool?

    /// What `pg_stat_activity` shows for the catalog's connections, unless the conninfo names one.
    public static let applicationName = "model-catalog"

    /// The embedded PostgreSQL as ModelCatalog lays it out in a data directory: the database
    /// `model_catalog`, settings in `model-catalog.conf`, server programs found through
    /// `MODEL_CATALOG_PG_BINDIR` (else pg_config, else Debian's directories).
    public static func embedded(directory: String, unsafeFastWrites: Bool = false) -> EmbeddedPostgres.Configuration {
        .init(directory: directory, database: "model_catalog", unsafeFastWrites: unsafeFastWrites,
              settingsFile: "model-catalog.conf", binDirectoryVariable: "MODEL_CATALOG_PG_BINDIR")
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
        pool = PostgresConnectionPool(configuration: .init(
            conninfo: configuration.conninfo, maxConnections: configuration.maxConnections,
            acquireTimeout: configuration.acquireTimeout, applicationName: Self.applicationName))
        models = ModelRepository(pool: pool, secretKey: configuration.secretKey)
        costs = CostMapRepository(pool: pool)
        keys = KeyRepository(pool: pool)
        tenants = TenantRepository(pool: pool, secretKey: configuration.secretKey)
        history = HistoryRepository(pool: pool)
        aliases = AliasRepository(pool: pool)
        credentials = CredentialRepository(pool: pool, secretKey: configuration.secretKey)
        readPool = configuration.readConninfo.map { conninfo in
            PostgresConnectionPool(configuration: .init(
                conninfo: conninfo, maxConnections: configuration.maxConnections,
                acquireTimeout: configuration.acquireTimeout, applicationName: Self.applicationName))
        }
        feed = ChangeFeed(pool: readPool ?? pool)
        fleet = FleetRepository(pool: pool)
        routing = RoutingSecrets(pool: pool, secretKey: configuration.secretKey)
    }

    /// Migrates the schema, seals what an older redaction rule left in clear (`SecretReseal`) and,
    /// in a new database, loads the bundled cost map: whichever process meets a database first
    /// leaves it as `serve` would. True when it seeded the cost map.
    @discardableResult
    public func prepare(logger: Logger) async throws -> Bool {
        try await MigrationRunner(migrations: Migration.bundled(), logger: logger).run(on: pool)
        try await SecretReseal.run(on: pool, key: configuration.secretKey, logger: logger)
        return try await costs.seedIfEmpty()
    }

    /// Loads a config file's models (at start, or `import-config`), by `ConfigModelLoader`'s rule.
    public func loadConfig(_ models: [LiteLLMConfig.Model], file: String) async throws -> ConfigModelLoader.Outcome {
        try await ConfigModelLoader(pool: pool, secretKey: configuration.secretKey).load(models, file: file)
    }

    /// Operators' price overrides, a layer over the cost map.
    public var priceOverrides: PriceOverrideRepository { PriceOverrideRepository(pool: pool) }

    /// Config imports planned before they are applied (`POST /config/plan`, `/config/apply`).
    public var configLoader: ConfigModelLoader { ConfigModelLoader(pool: pool, secretKey: configuration.secretKey) }

    /// The newest applied schema migration; nil when the database does not answer (readiness).
    public func schemaVersion() async -> String? {
        try? await StorePool(pool).withConnection { connection in
            try connection.query("SELECT max(version) AS version FROM schema_migrations").first?.decode(String?.self, "version")
        } ?? nil
    }

    /// The pool's state right now, for metrics.
    public func poolStatistics() async -> PoolStatistics {
        let statistics = await pool.statistics
        return PoolStatistics(inUse: statistics.inUse, waiting: statistics.waiting,
                              maxConnections: statistics.maxConnections, replacedConnections: statistics.replacedConnections)
    }

    /// LISTENs for the change log's notifications on a dedicated connection. Returns once the
    /// server confirmed the LISTEN, so nothing committed after this returns can be missed.
    ///
    /// Notifications that arrive while the consumer is catching up collapse into the newest: a
    /// catch-up reads the log, so one is enough for any number. (A transaction of 100,000 rows
    /// sends 100,000 notifications; one round each kept a replica busy for minutes, and deaf to
    /// its own shutdown.)
    public func listen() async throws -> ChangeNotifications {
        do {
            return ChangeNotifications(try await PostgresListener.listen(
                conninfo: configuration.conninfo, channel: ChangeFeed.channel, applicationName: Self.applicationName,
                buffering: .bufferingNewest(1)))
        } catch {
            throw StoreErrors.domainError(error)
        }
    }

    /// Whether the log is read from a hot standby: it cannot LISTEN (PostgreSQL refuses LISTEN
    /// during recovery), so a replica polls it (`ChangeListenerService`).
    public var followsStandby: Bool { readPool != nil }

    /// Waits until the standby has replayed everything the primary had written when this was
    /// called (its WAL position), so that what a write just committed can be read there. Returns
    /// at once without a standby. Polls every millisecond; throws `StandbyLagging` past `timeout`.
    public func awaitStandbyReplay(timeout: Duration = .seconds(5)) async throws {
        guard let readPool else { return }
        do {
            let target = try await pool.withConnection { connection in
                // The insert position: with synchronous_commit off a commit returns before its record
                // is written out, so the write position may still be short of it.
                try connection.query("SELECT pg_current_wal_insert_lsn()::text AS lsn")[0].decode(String.self, "lsn")
            }
            let deadline = ContinuousClock.now + timeout
            while true {
                let replayed = try await readPool.withConnection { connection in
                    // NULL on a server that is not a standby (promoted, or a plain copy): nothing to wait for.
                    try connection.query("""
                        SELECT coalesce(pg_last_wal_replay_lsn() >= \(target)::pg_lsn, true) AS replayed
                        """)[0].decode(Bool.self, "replayed")
                }
                if replayed { return }
                guard ContinuousClock.now < deadline else { throw StandbyLagging(timeout: timeout) }
                try await Task.sleep(for: .milliseconds(1))
            }
        } catch let error as StandbyLagging {
            throw error
        } catch {
            throw StoreErrors.domainError(error)
        }
    }

    /// Closes every connection; waiting callers fail.
    public func close() async {
        await pool.close()
        await readPool?.close()
    }
}

/// What the connection pool is doing, for metrics.
public struct PoolStatistics: Sendable {
    public var inUse: Int
    public var waiting: Int
    public var maxConnections: Int
    public var replacedConnections: Int
}

/// The change log's notifications on one dedicated connection: each is the seq of a new entry
/// (the newest of those that arrived while the consumer was busy).
/// The sequence ends with an error when the connection is lost (reconnect and catch up: what was
/// sent while away is gone), and when `stop()` is called.
public struct ChangeNotifications: AsyncSequence, Sendable {
    public typealias Element = Int64?

    private let listener: PostgresListener

    init(_ listener: PostgresListener) {
        self.listener = listener
    }

    /// The server process holding the LISTEN (for the log, and for tests that terminate it).
    public var backendPID: Int32 { listener.backendPID }

    public func stop() { listener.stop() }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<PostgresNotification, Error>.AsyncIterator

        public mutating func next() async throws -> Int64?? {
            do {
                guard let notification = try await base.next() else { return nil }
                return .some(Int64(notification.payload))
            } catch {
                throw StoreErrors.domainError(error)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: listener.notifications.makeAsyncIterator())
    }
}

/// The standby did not replay a write within the wait (`CatalogDatabase.awaitStandbyReplay`).
public struct StandbyLagging: Error, CustomStringConvertible {
    public var timeout: Duration
    public var description: String { "the read standby did not replay the primary's position within \(timeout)" }
}
