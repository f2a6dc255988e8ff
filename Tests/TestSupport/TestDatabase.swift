import Foundation
import Postgres

/// The PostgreSQL server of a test run, and a fresh database for each test.
///
/// With DATABASE_URL set, tests create their databases on that server. Otherwise one
/// EmbeddedPostgres is started in a temporary directory for the whole run (on first use) and
/// stopped, its directory removed, when the test process exits.
public enum TestDatabase {
    /// A conninfo for a new, empty database of its own.
    public static func fresh() async throws -> String {
        let server = try await shared.value
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await server.admin.query("CREATE DATABASE \(identifier: name)")
        return try Conninfo.replacingDatabase(in: server.adminConninfo, with: name)
    }

    /// A pool on the server's maintenance database (for pg_terminate_backend and the like).
    public static func admin() async throws -> PostgresConnectionPool {
        try await shared.value.admin
    }

    struct Server: Sendable {
        var adminConninfo: String
        var admin: PostgresConnectionPool

        init(adminConninfo: String) {
            self.adminConninfo = adminConninfo
            // CREATE DATABASE is slow-ish and every test makes one: callers queue rather than fail.
            admin = PostgresConnectionPool(configuration: .init(conninfo: adminConninfo, maxConnections: 4, acquireTimeout: .seconds(300)))
        }
    }

    private static let shared = Task<Server, Error> {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            return Server(adminConninfo: url)
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("model-catalog-tests-\(UUID().uuidString.prefix(8))").path
        let embedded = EmbeddedPostgres(configuration: .init(
            directory: directory, database: "postgres", unsafeFastWrites: true, maxConnections: 400,
            binDirectoryVariable: "MODEL_CATALOG_PG_BINDIR"))
        try await embedded.start()
        ExitCleanup.register(embedded: embedded, directory: directory)
        return Server(adminConninfo: embedded.conninfo(database: "postgres"))
    }
}

/// Stops the test run's embedded server when the process exits.
enum ExitCleanup {
    nonisolated(unsafe) private static var embedded: EmbeddedPostgres?
    nonisolated(unsafe) private static var directory: String?

    static func register(embedded: EmbeddedPostgres, directory: String) {
        Self.embedded = embedded
        Self.directory = directory
        atexit {
            try? ExitCleanup.embedded?.stopBlocking()
            if let directory = ExitCleanup.directory { try? FileManager.default.removeItem(atPath: directory) }
        }
    }
}
