import Foundation
import Postgres

/// A PostgreSQL primary and a hot standby fed from it by streaming replication, for tests that
/// need both (reads from a replica, replay lag, a replica that restarts).
///
/// Both servers are EmbeddedPostgres clusters under one temporary directory, each listening on a
/// Unix socket in its own cluster directory and on no TCP port. The standby is made by
/// `pg_basebackup -R` with a physical replication slot, so the primary keeps the WAL a stopped
/// standby has yet to replay. `stop()` stops both and removes the directory; pairs not stopped
/// when the process exits are stopped from an `atexit` handler.
public final class StreamingStandby: Sendable {
    /// The temporary directory that holds both clusters.
    public let directory: String
    /// The read-write server.
    public let primary: EmbeddedPostgres
    /// The read-only server, replaying the primary's WAL.
    public let standby: EmbeddedPostgres

    private static let slotName = "streaming_standby"

    private init(directory: String) {
        self.directory = directory
        primary = EmbeddedPostgres(configuration: Self.configuration(directory: directory + "/primary"))
        standby = EmbeddedPostgres(configuration: Self.configuration(directory: directory + "/standby"))
    }

    private static func configuration(directory: String) -> EmbeddedPostgres.Configuration {
        // A hot standby refuses to start with a max_connections below its primary's: the same for both.
        .init(directory: directory, database: "postgres", unsafeFastWrites: true, maxConnections: 100,
              binDirectoryVariable: "MODEL_CATALOG_PG_BINDIR")
    }

    /// Creates and starts a primary, then a standby copied from it, and returns once the standby
    /// accepts connections and is in recovery.
    public static func start() async throws -> StreamingStandby {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mc-standby-\(UUID().uuidString.prefix(8))").path
        let pair = StreamingStandby(directory: directory)
        RunningPairs.shared.insert(pair)
        do {
            // The postgres user must be able to traverse it to reach both clusters.
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o755)
            try await pair.primary.start()
            let bindir = try await pair.checkPrimary()
            try await offThread { try pair.makeStandby(bindir: bindir) }
            try await pair.startStandby()
        } catch {
            try? await pair.stop()
            throw error
        }
        return pair
    }

    /// A libpq conninfo for `database` on the primary (over its Unix socket, as user postgres).
    public func primaryConninfo(database: String = "postgres") -> String {
        primary.conninfo(database: database)
    }

    /// A libpq conninfo for `database` on the standby (over its Unix socket, as user postgres).
    public func standbyConninfo(database: String = "postgres") -> String {
        standby.conninfo(database: database)
    }

    /// Creates `name` on the primary and waits until the standby lets a client connect to it.
    public func createDatabase(_ name: String, timeout: Duration = .seconds(30)) async throws {
        try await Self.withConnection(primaryConninfo()) { try $0.query("CREATE DATABASE \(identifier: name)") }
        try await Self.poll("database \(name) to reach the standby", timeout: timeout,
                            conninfo: standbyConninfo(database: name)) { _ in true }
    }

    /// Waits until the standby has replayed all the WAL the primary had written when called, so
    /// that every transaction committed on the primary before the call is visible on the standby.
    public func waitForReplay(timeout: Duration = .seconds(30)) async throws {
        let target = try await Self.withConnection(primaryConninfo()) { connection in
            // The primary runs with synchronous_commit = off (unsafeFastWrites): a commit that has
            // returned may not be written yet (pg_current_wal_lsn is the write position), and
            // walsenders stream written WAL only. A synchronous commit of a transaction of our own
            // that wrote WAL writes all the WAL before it (one that only took a transaction id,
            // txid_current, commits asynchronously all the same).
            try connection.execute("SET synchronous_commit = on")
            try connection.query("SELECT pg_logical_emit_message(true, 'streaming_standby', 'wait for replay')")
            return try connection.query("SELECT pg_current_wal_lsn()::text AS lsn")[0].decode(String.self, "lsn")
        }
        try await Self.poll("the standby to replay the primary's WAL up to \(target)", timeout: timeout,
                            conninfo: standbyConninfo()) { connection in
            let rows = try connection.query("SELECT coalesce(pg_last_wal_replay_lsn() >= \(target)::pg_lsn, false) AS done")
            return try rows[0].decode(Bool.self, "done")
        }
    }

    /// Stops the standby (fast shutdown); the primary keeps its WAL for it, through the slot.
    public func stopStandby() async throws { try await standby.stop() }

    /// Starts the standby and waits until it accepts connections and is in recovery.
    public func startStandby(timeout: Duration = .seconds(60)) async throws {
        // pg_ctl start -w returns once the standby has reached a consistent state and accepts
        // read-only connections; the check below says it is still a standby, not a promoted primary.
        try await standby.start()
        try await Self.poll("the standby to accept connections in recovery", timeout: timeout,
                            conninfo: standbyConninfo()) { connection in
            try connection.query("SELECT pg_is_in_recovery() AS standby")[0].decode(Bool.self, "standby")
        }
    }

    /// Restarts the standby: a fast stop then a start (what `pg_ctl restart -m fast` does; going
    /// through EmbeddedPostgres rewrites its settings file as every start does).
    public func restartStandby() async throws {
        try await stopStandby()
        try await startStandby()
    }

    /// Stops both servers and removes their directory.
    public func stop() async throws { try await Self.offThread { try self.stopBlocking() } }

    /// Stops both servers from the calling thread (for the `atexit` handler).
    fileprivate func stopBlocking() throws {
        // The standby first: stopped after its primary, it would retry the connection until stopped.
        let outcomes = [standby, primary].map { server in Result { try server.stopBlocking() } }
        // A server that would not stop keeps its directory, for pg_ctl by hand.
        for outcome in outcomes { try outcome.get() }
        RunningPairs.shared.remove(self)
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Making the standby

    /// Checks the primary's replication settings and returns the directory of its programs.
    private func checkPrimary() async throws -> String {
        let (walLevel, senders, bindir) = try await Self.withConnection(primaryConninfo()) { connection in
            // pg_config (the view) names the running server's own programs, so pg_basebackup is of
            // its version even when several are installed.
            let row = try connection.query("""
                SELECT current_setting('wal_level') AS wal_level, current_setting('max_wal_senders')::int AS senders,
                       (SELECT setting FROM pg_config WHERE name = 'BINDIR') AS bindir
                """)[0]
            return (try row.decode(String.self, "wal_level"), try row.decode(Int.self, "senders"), try row.decode(String.self, "bindir"))
        }
        // EmbeddedPostgres sets none of these: PostgreSQL's defaults (replica, 10) are what a
        // standby needs. Checked, so that other defaults fail here rather than in pg_basebackup.
        guard walLevel != "minimal", senders >= 4 else {
            throw PostgresError(
                .embeddedServer,
                message: "the primary cannot feed a standby: wal_level = \(walLevel), max_wal_senders = \(senders) (need replica and at least 4)")
        }
        return bindir
    }

    /// Copies the running primary into the standby's cluster directory with `pg_basebackup -R`.
    private func makeStandby(bindir: String) throws {
        let cluster = standby.clusterDirectory, root = standby.configuration.directory
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: root, withIntermediateDirectories: true)
        chmod(root, 0o755)
        try fileManager.createDirectory(atPath: cluster, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let serverUser = getuid() == 0 ? getpwnam("postgres") : nil
        if let serverUser { chown(cluster, serverUser.pointee.pw_uid, serverUser.pointee.pw_gid) }

        // -R writes standby.signal and primary_conninfo (with primary_slot_name, from -S); -C makes
        // the slot. The dbname of -d is ignored: a base backup connects to no database.
        let arguments = ["-D", cluster, "-d", primaryConninfo(), "-R", "-X", "stream", "-C", "-S", Self.slotName,
                         "-c", "fast", "--no-sync"]
        // As root the copy would belong to root, and the server (run as postgres) could not read it.
        // Not Foundation's Process: its pipe would also reach a server another test starts meanwhile,
        // and the read of it would wait for that server to end.
        let outcome = try Subprocess.run(bindir + "/pg_basebackup", arguments, runAs: serverUser != nil ? "postgres" : nil)
        guard outcome.status == 0 else {
            throw PostgresError(.embeddedServer, message: "pg_basebackup failed (status \(outcome.status)): \(outcome.output)")
        }

        // The primary keeps its socket and its log in its cluster directory, so the copy has them
        // too: the socket's lock file names the primary's pid, which is alive, and the standby
        // would refuse to start ("lock file already exists"); the log would read as the standby's.
        for name in try fileManager.contentsOfDirectory(atPath: cluster)
        where name.hasPrefix(".s.PGSQL.") || name == "server.log" {
            try fileManager.removeItem(atPath: cluster + "/" + name)
        }
        // After postgresql.conf and the EmbeddedPostgres settings file it includes, which set the
        // standby's own socket directory at every start. Feedback keeps the primary from vacuuming
        // rows a standby query still reads.
        let autoConf = try FileHandle(forWritingTo: URL(fileURLWithPath: cluster + "/postgresql.auto.conf"))
        defer { try? autoConf.close() }
        try autoConf.seekToEnd()
        try autoConf.write(contentsOf: Data("hot_standby = on\nhot_standby_feedback = on\n".utf8))
    }

    // MARK: - Helpers

    /// Runs blocking libpq and process calls on a Dispatch thread rather than the cooperative pool
    /// (TestSupport does not depend on NIOPosix, whose thread pool EmbeddedPostgres uses).
    private static func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result(catching: body)) }
        }
    }

    /// Runs `body` on a connection of its own to `conninfo`, off the cooperative pool.
    @discardableResult
    private static func withConnection<T: Sendable>(
        _ conninfo: String, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await offThread {
            let connection = try PostgresConnection(conninfo: conninfo)
            defer { connection.close() }
            return try body(connection)
        }
    }

    /// Connects to `conninfo` and runs `check` every 20 ms until it returns true, or throws after
    /// `timeout` with the last error seen (a connection refused while starting, say).
    private static func poll(_ what: String, timeout: Duration, conninfo: String,
                             until check: @escaping @Sendable (PostgresConnection) throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        repeat {
            do {
                if try await withConnection(conninfo, check) { return }
                lastError = nil
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        throw PostgresError(
            .embeddedServer,
            message: "timed out after \(timeout) waiting for \(what)" + (lastError.map { " (last error: \($0))" } ?? ""))
    }
}

/// The pairs not stopped yet; an `atexit` handler stops them when the test process exits first.
private final class RunningPairs: @unchecked Sendable {
    static let shared = RunningPairs()
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pairs: [ObjectIdentifier: StreamingStandby] = [:]

    private init() {
        atexit { RunningPairs.shared.stopAll() }
    }

    func insert(_ pair: StreamingStandby) { lock.withLock { pairs[ObjectIdentifier(pair)] = pair } }
    func remove(_ pair: StreamingStandby) { lock.withLock { pairs[ObjectIdentifier(pair)] = nil } }

    private func stopAll() {
        // Not under the lock: stopBlocking removes each pair as it goes.
        for pair in lock.withLock({ Array(pairs.values) }) { try? pair.stopBlocking() }
    }
}
