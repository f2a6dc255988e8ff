import Logging
import Postgres

/// Applies pending migrations in order, each in its own transaction, and records each in
/// `schema_migrations`.
///
/// Safe when several replicas start at once: the runner holds a session-level advisory lock for
/// the whole run, so a second runner waits, then finds everything applied.
public struct MigrationRunner: Sendable {
    /// The advisory lock key: any constant; this one spells "mcatalog" in ASCII.
    static let lockKey = 0x6D63_6174_616C_6F67

    public var migrations: [Migration]
    public var logger: Logger

    public init(migrations: [Migration], logger: Logger = Logger(label: "migrations")) {
        self.migrations = migrations
        self.logger = logger
    }

    /// Runs the pending migrations and returns the versions it applied.
    @discardableResult
    public func run(on pool: PostgresConnectionPool) async throws -> [String] {
        let migrations = self.migrations
        let applied = try await pool.withConnection { connection in
            try connection.query("SELECT pg_advisory_lock(\(Self.lockKey))")
            defer { _ = try? connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))") }
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let done = Set(try connection.query("SELECT version FROM schema_migrations").map {
                try $0.decode(String.self, "version")
            })
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.version) {
                try connection.transaction { connection in
                    try connection.execute(script: migration.sql)
                    try connection.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))")
                }
                applied.append(migration.version)
            }
            return applied
        }
        for version in applied { logger.info("applied migration", metadata: ["version": "\(version)"]) }
        return applied
    }
}
