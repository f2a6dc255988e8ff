import Foundation
import Logging
import NIOPosix

/// A PostgreSQL server of our own, kept in a data directory, so that a program (and its tests)
/// runs without an existing database. Product names (the database, the settings file, the
/// environment variable that points at the server programs) come from the configuration.
///
/// Layout of the data directory: `postgres/` holds the cluster (created by `initdb` on first use)
/// and, inside it, the server's Unix socket. The server listens on no TCP port unless
/// `tcpPort` is set. The next start reuses the cluster, so nothing stored is lost. When the
/// process runs as root, the server runs as the `postgres` system user, which is given the cluster
/// directory (PostgreSQL refuses to run as root).
public final class EmbeddedPostgres: Sendable {
    /// Where the server lives and how it runs.
    public struct Configuration: Sendable {
        /// The data directory (created when missing).
        public var directory: String
        /// The database that `conninfo` names; created on start when missing.
        public var database: String
        /// Listen on 127.0.0.1 at this port as well as on the Unix socket.
        public var tcpPort: Int?
        /// Turn off fsync and friends: only for throwaway test clusters.
        public var unsafeFastWrites: Bool
        /// `max_connections` of the server.
        public var maxConnections: Int
        /// The file of our settings inside the cluster, included by `postgresql.conf` (fixed when
        /// the cluster is made: keep it the same for an existing data directory).
        public var settingsFile: String
        /// An environment variable that may name the directory of `initdb` and `pg_ctl`.
        public var binDirectoryVariable: String?

        public init(directory: String, database: String = "postgres", tcpPort: Int? = nil,
                    unsafeFastWrites: Bool = false, maxConnections: Int = 100,
                    settingsFile: String = "embedded-postgres.conf", binDirectoryVariable: String? = nil) {
            self.directory = directory
            self.database = database
            self.settingsFile = settingsFile
            self.binDirectoryVariable = binDirectoryVariable
            self.tcpPort = tcpPort
            self.unsafeFastWrites = unsafeFastWrites
            self.maxConnections = maxConnections
        }
    }

    public let configuration: Configuration
    /// The absolute path of the cluster directory (`PGDATA`).
    public let clusterDirectory: String
    private let logger: Logger
    private let socketPort: Int

    public init(configuration: Configuration, logger: Logger = Logger(label: "embedded-postgres")) {
        self.configuration = configuration
        let root = URL(fileURLWithPath: configuration.directory).standardizedFileURL.path
        clusterDirectory = root + "/postgres"
        socketPort = configuration.tcpPort ?? 5432
        self.logger = logger
    }

    /// A libpq conninfo string for `database` (or the configured one) over the Unix socket.
    public func conninfo(database: String? = nil) -> String {
        "host=\(Conninfo.quote(clusterDirectory)) port=\(socketPort) user=postgres dbname=\(Conninfo.quote(database ?? configuration.database))"
    }

    /// Creates the cluster if needed, starts the server and waits until it accepts connections.
    public func start() async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.startBlocking() }
        try await ensureDatabase(configuration.database)
    }

    /// Stops the server (fast shutdown: open sessions are ended, data is flushed).
    public func stop() async throws {
        try await NIOThreadPool.singleton.runIfActive { try self.stopBlocking() }
    }

    /// Creates `name` when it does not exist yet.
    public func ensureDatabase(_ name: String) async throws {
        let conninfo = conninfo(database: "postgres")
        try await NIOThreadPool.singleton.runIfActive {
            let connection = try PostgresConnection(conninfo: conninfo)
            defer { connection.close() }
            let existing = try connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
            guard existing.isEmpty else { return }
            do {
                try connection.query("CREATE DATABASE \(identifier: name)")
            } catch let error as PostgresError where SQLState.duplicateDatabase ~= error.sqlState {
                // Created meanwhile by another caller: what we wanted.
            }
        }
    }

    // MARK: - Blocking steps

    private func startBlocking() throws {
        let binaries = try PostgresBinaries.locate(variable: configuration.binDirectoryVariable)
        let runAs = try Self.serverUser()
        let root = URL(fileURLWithPath: clusterDirectory).deletingLastPathComponent().path
        let socketPath = "\(clusterDirectory)/.s.PGSQL.\(socketPort)"
        guard socketPath.utf8.count < 108 else {
            throw PostgresError(
                .embeddedServer,
                message: "the data directory path is too long for a Unix socket (\(socketPath.utf8.count) bytes, limit 107): choose a shorter --data-dir")
        }
        let fileManager = FileManager.default
        // The postgres user must be able to traverse the data directory to reach its cluster.
        try fileManager.createDirectory(atPath: root, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: runAs == nil ? 0o700 : 0o755])
        if runAs != nil { chmod(root, 0o755) }

        if !fileManager.fileExists(atPath: clusterDirectory + "/PG_VERSION") {
            try initialize(binaries: binaries, runAs: runAs)
        }
        try writeSettings(runAs: runAs)

        if fileManager.fileExists(atPath: clusterDirectory + "/postmaster.pid") {
            let status = try Subprocess.run(binaries.pgCtl, ["status", "-D", clusterDirectory], runAs: runAs)
            if status.status == 0 {
                let pid = (try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8))?
                    .split(separator: "\n").first.map(String.init) ?? "?"
                throw PostgresError(
                    .embeddedServer,
                    message: "another PostgreSQL server (pid \(pid)) is already running on \(clusterDirectory); "
                        + "stop it (pg_ctl stop -D \(clusterDirectory)) or choose another --data-dir")
            }
        }

        logger.info("starting embedded PostgreSQL", metadata: ["directory": "\(clusterDirectory)"])
        let logFile = clusterDirectory + "/server.log"
        let started = try Subprocess.run(
            binaries.pgCtl, ["start", "-D", clusterDirectory, "-l", logFile, "-w", "-t", "60", "-s"], runAs: runAs)
        guard started.status == 0 else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(8).joined(separator: "\n")
            throw PostgresError(
                .embeddedServer,
                message: "PostgreSQL did not start in \(clusterDirectory): \(started.output.trimmingTrailingNewlines())\n\(tail)")
        }
    }

    /// Creates the cluster in a sibling directory and renames it into place once complete, so that
    /// an initdb cut short (a crash, a kill) leaves no half-made cluster for the next start to trip on.
    private func initialize(binaries: PostgresBinaries, runAs: String?) throws {
        logger.info("creating PostgreSQL cluster", metadata: ["directory": "\(clusterDirectory)"])
        let fileManager = FileManager.default
        let building = clusterDirectory + ".initdb"
        try? fileManager.removeItem(atPath: building)
        if fileManager.fileExists(atPath: clusterDirectory) {
            // No PG_VERSION there: remove it only when empty; whatever it holds is not ours to delete.
            guard (try? fileManager.contentsOfDirectory(atPath: clusterDirectory))?.isEmpty == true else {
                throw PostgresError(
                    .embeddedServer,
                    message: "\(clusterDirectory) exists but is not a PostgreSQL cluster (no PG_VERSION): move it away, or choose another --data-dir")
            }
            try fileManager.removeItem(atPath: clusterDirectory)
        }
        try fileManager.createDirectory(atPath: building, withIntermediateDirectories: true,
                                        attributes: [.posixPermissions: 0o700])
        if let runAs { try Self.giveOwnership(of: building, to: runAs) }
        var arguments = ["-D", building, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]
        if configuration.unsafeFastWrites { arguments.append("--no-sync") }
        let outcome = try Subprocess.run(binaries.initdb, arguments, runAs: runAs)
        guard outcome.status == 0 else {
            throw PostgresError(.embeddedServer, message: "initdb failed for \(clusterDirectory): \(outcome.output.trimmingTrailingNewlines())")
        }
        // Our settings live in a file of their own, rewritten at every start (paths may move).
        let conf = building + "/postgresql.conf"
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\ninclude_if_exists = '\(configuration.settingsFile)'\n".utf8))
        try handle.close()
        guard rename(building, clusterDirectory) == 0 else {
            throw PostgresError(.embeddedServer, message: "could not rename \(building) to \(clusterDirectory) (errno \(errno))")
        }
    }

    private func writeSettings(runAs: String?) throws {
        var lines = [
            "# Written at every start of the embedded server.",
            "listen_addresses = '\(configuration.tcpPort == nil ? "" : "127.0.0.1")'",
            "port = \(socketPort)",
            "unix_socket_directories = '\(clusterDirectory.replacingOccurrences(of: "'", with: "''"))'",
            "unix_socket_permissions = 0700",
            "max_connections = \(configuration.maxConnections)",
        ]
        if configuration.unsafeFastWrites {
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        }
        let path = clusterDirectory + "/" + configuration.settingsFile
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        if let runAs { try Self.giveOwnership(of: path, to: runAs) }
    }

    /// Stops the server from the calling thread (for `atexit` handlers and other synchronous code).
    public func stopBlocking() throws {
        guard FileManager.default.fileExists(atPath: clusterDirectory + "/postmaster.pid") else { return }
        let binaries = try PostgresBinaries.locate(variable: configuration.binDirectoryVariable)
        let outcome = try Subprocess.run(
            binaries.pgCtl, ["stop", "-D", clusterDirectory, "-m", "fast", "-w", "-t", "60", "-s"], runAs: try Self.serverUser())
        guard outcome.status == 0 else {
            throw PostgresError(.embeddedServer, message: "pg_ctl stop failed for \(clusterDirectory): \(outcome.output.trimmingTrailingNewlines())")
        }
        logger.info("embedded PostgreSQL stopped", metadata: ["directory": "\(clusterDirectory)"])
    }

    /// The user the server runs as: `postgres` when we are root, ourselves otherwise.
    private static func serverUser() throws -> String? {
        guard getuid() == 0 else { return nil }
        guard getpwnam("postgres") != nil else {
            throw PostgresError(
                .embeddedServer,
                message: "running as root, the embedded PostgreSQL needs a 'postgres' system user to run as "
                    + "(Debian's postgresql package creates it: apt-get install -y postgresql)")
        }
        return "postgres"
    }

    private static func giveOwnership(of path: String, to user: String) throws {
        guard let entry = getpwnam(user) else { return }
        guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw PostgresError(.embeddedServer, message: "could not give \(path) to user \(user) (errno \(errno))")
        }
    }
}

/// The PostgreSQL server programs this machine has.
struct PostgresBinaries {
    var initdb: String
    var pgCtl: String

    /// Looks in the directory `variable` names, then `pg_config --bindir`, then Debian's
    /// `/usr/lib/postgresql/<version>/bin` (newest first).
    static func locate(variable: String?) throws -> PostgresBinaries {
        var candidates: [String] = []
        if let variable, let configured = ProcessInfo.processInfo.environment[variable] { candidates.append(configured) }
        for pgConfig in ["/usr/bin/pg_config", "/usr/local/bin/pg_config"] where FileManager.default.isExecutableFile(atPath: pgConfig) {
            if let outcome = try? Subprocess.run(pgConfig, ["--bindir"], runAs: nil), outcome.status == 0 {
                candidates.append(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        for directory in candidates {
            let initdb = directory + "/initdb", pgCtl = directory + "/pg_ctl"
            if FileManager.default.isExecutableFile(atPath: initdb), FileManager.default.isExecutableFile(atPath: pgCtl) {
                return PostgresBinaries(initdb: initdb, pgCtl: pgCtl)
            }
        }
        throw PostgresError(
            .embeddedServer,
            message: "PostgreSQL server programs (initdb, pg_ctl) were not found: install them with "
                + "`apt-get install -y postgresql` (Debian/Ubuntu)\(variable.map { ", set \($0) to their directory" } ?? ""), "
                + "or give --database-url to use an existing server")
    }
}
