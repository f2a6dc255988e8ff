import NIOPosix

/// A bounded pool of libpq connections.
///
/// Every libpq call runs on the pool's own `NIOThreadPool` (one thread per connection), never on a
/// NIO event loop or the Swift cooperative pool. A caller that finds every connection in use waits
/// up to `acquireTimeout`, then fails with `.poolTimeout`. A connection found broken (the server
/// went away, or a backend was terminated) is closed and replaced by a new one on its next use.
public actor PostgresConnectionPool {
    /// How to reach the database and how many connections to keep.
    public struct Configuration: Sendable {
        /// A conninfo string or a `postgres://` URL.
        public var conninfo: String
        /// The most connections open at once.
        public var maxConnections: Int
        /// How long a caller waits for a free connection before failing.
        public var acquireTimeout: Duration

        /// What `pg_stat_activity` shows for these connections unless the conninfo names one.
        public var applicationName: String?

        public init(conninfo: String, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10),
                    applicationName: String? = nil) {
            self.conninfo = conninfo
            self.applicationName = applicationName
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
        }
    }

    /// A place for one connection; the connection itself is opened lazily, on a pool thread.
    final class Slot: @unchecked Sendable {
        // Touched only by the one caller holding the slot, on a pool thread.
        var connection: PostgresConnection?
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Slot, Error>
    }

    public nonisolated let configuration: Configuration
    private let threadPool: NIOThreadPool
    private var idle: [Slot] = []
    private var created = 0
    private var waiters: [Waiter] = []
    private var nextWaiterID: UInt64 = 0
    private var isClosed = false
    /// Connections closed because they were found broken, for metrics and tests.
    public private(set) var replacedConnections = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
        threadPool = NIOThreadPool(numberOfThreads: configuration.maxConnections)
        threadPool.start()
    }

    /// Connections handed out right now.
    public var inUse: Int { created - idle.count }
    /// Callers waiting for a connection right now.
    public var waiting: Int { waiters.count }

    /// What the pool is doing right now, read in one hop (for metrics).
    public struct Statistics: Sendable {
        public var inUse: Int
        public var waiting: Int
        public var maxConnections: Int
        public var replacedConnections: Int
    }

    public var statistics: Statistics {
        Statistics(inUse: inUse, waiting: waiting, maxConnections: configuration.maxConnections,
                   replacedConnections: replacedConnections)
    }

    /// Runs `body` with a connection of its own, on a pool thread. `body` is synchronous on
    /// purpose: it may block on libpq, and a transaction inside it never spans a suspension.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let slot = try await lease()
        let conninfo = configuration.conninfo
        let applicationName = configuration.applicationName
        let outcome: Result<(T, replaced: Bool), Error>
        do {
            let value = try await threadPool.runIfActive { () throws -> (T, replaced: Bool) in
                var replaced = false
                if let connection = slot.connection, !connection.isHealthy {
                    connection.close()
                    slot.connection = nil
                    replaced = true
                }
                let connection = try slot.connection ?? PostgresConnection(conninfo: conninfo, applicationName: applicationName)
                slot.connection = connection
                do {
                    return (try body(connection), replaced)
                } catch {
                    // A connection left broken, or inside a failed transaction, is not reused.
                    if !connection.isHealthy {
                        connection.close()
                        slot.connection = nil
                    }
                    throw error
                }
            }
            outcome = .success(value)
        } catch {
            outcome = .failure(error)
        }
        if case .success(let value) = outcome, value.replaced { replacedConnections += 1 }
        release(slot)
        return try outcome.get().0
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    @discardableResult
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withConnection { connection in try connection.transaction(body) }
    }

    /// Runs one statement on any free connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await withConnection { connection in try connection.query(query) }
    }

    /// Fails every waiting caller, closes idle connections and stops the pool's threads.
    public func close() async {
        guard !isClosed else { return }
        isClosed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.closed, message: "connection pool is closed"))
        }
        waiters.removeAll()
        let slots = idle
        idle.removeAll()
        try? await threadPool.runIfActive { slots.forEach { $0.connection?.close() } }
        try? await threadPool.shutdownGracefully()
    }

    private func lease() async throws -> Slot {
        guard !isClosed else { throw PostgresError(.closed, message: "connection pool is closed") }
        if let slot = idle.popLast() { return slot }
        if created < configuration.maxConnections {
            created += 1
            return Slot()
        }
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    private func release(_ slot: Slot) {
        if isClosed {
            created -= 1
            let connection = slot.connection
            slot.connection = nil
            // Closing can block briefly (it sends a Terminate message): do it off this executor.
            Task.detached { [threadPool] in try? await threadPool.runIfActive { connection?.close() } }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: slot)
        } else {
            idle.append(slot)
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        let error = PostgresError(
            .poolTimeout,
            message: "timed out after \(configuration.acquireTimeout) waiting for a database connection "
                + "(all \(configuration.maxConnections) connections of the pool are in use)")
        waiter.continuation.resume(throwing: error)
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
