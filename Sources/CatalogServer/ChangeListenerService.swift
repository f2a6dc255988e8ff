import CatalogStore
import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// What readiness reports about the change feed.
public struct ListenerStatus: Sendable {
    public var connected = false
    /// When the listener last went down (nil while connected, or before the first connect).
    public var downSince: ContinuousClock.Instant? = .now
    public var reconnects = 0
    public var notifications = 0
    /// The database's newest seq, as the safety poll last saw it.
    public var databaseSeq: Int64?
}

/// Keeps the replica's snapshot in step with the catalog: LISTEN on a dedicated connection, catch
/// up from the log on every notification and after every (re)connect, and a safety poll that
/// catches up every `pollInterval` for a listener that looks alive but is not. Reconnects back off exponentially
/// (capped). Ends on graceful shutdown.
public final class ChangeListenerService: Service, Sendable {
    let database: CatalogDatabase
    let store: SnapshotStore
    let logger: Logger
    let pollInterval: Duration
    let maxBackoff: Duration
    let followInterval: Duration
    let metrics: CatalogMetrics
    private let state = NIOLockedValueBox(ListenerStatus())

    init(database: CatalogDatabase, store: SnapshotStore, logger: Logger,
         pollInterval: Duration, maxBackoff: Duration, followInterval: Duration = .milliseconds(10), metrics: CatalogMetrics) {
        self.database = database
        self.store = store
        self.logger = logger
        self.pollInterval = pollInterval
        self.maxBackoff = maxBackoff
        self.followInterval = followInterval
        self.metrics = metrics
    }

    public var status: ListenerStatus { state.withLockedValue { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { self.database.followsStandby ? await self.followLoop() : await self.listenLoop() }
                group.addTask { await self.pollLoop() }
                await group.waitForAll()
            }
        }
    }

    private func listenLoop() async {
        var attempt = 0
        while !Task.isCancelled {
            do {
                let listener = try await database.listen()
                // LISTEN first, then catch up: nothing committed in between can be missed. The
                // listener counts as connected once it has caught up with what it missed.
                try await store.catchUp()
                state.withLockedValue {
                    $0.connected = true
                    $0.downSince = nil
                }
                attempt = 0
                logger.info("change listener connected", metadata: ["backend_pid": "\(listener.backendPID)"])
                for try await _ in listener {
                    state.withLockedValue { $0.notifications += 1 }
                    metrics.notificationReceived()
                    // A notification already waiting is still delivered after cancellation.
                    guard !Task.isCancelled else { break }
                    try await store.catchUp()
                }
                listener.stop()
            } catch {
                if !Task.isCancelled {
                    logger.warning("change listener down", metadata: ["error": "\(error)"])
                }
            }
            state.withLockedValue {
                if $0.connected { $0.downSince = .now }
                $0.connected = false
            }
            guard !Task.isCancelled else { return }
            attempt += 1
            state.withLockedValue { $0.reconnects += 1 }
            metrics.listenerReconnected()
            let backoff = min(maxBackoff, .milliseconds(50) * (1 << min(attempt, 10)))
            try? await Task.sleep(for: backoff)
        }
    }

    /// A hot standby cannot LISTEN: ask it for the log's commit position every `followInterval`
    /// and catch up when it moved. "Connected" while it answers; down from its first failure.
    private func followLoop() async {
        var seen: Int64?
        var failing = false
        while !Task.isCancelled {
            do {
                let highest = try await database.feed.lastGivenPosition()
                if highest != seen {
                    try await store.catchUp()
                    seen = highest
                }
                state.withLockedValue {
                    $0.connected = true
                    $0.downSince = nil
                }
                if failing { logger.info("read standby answers again: following it") }
                failing = false
            } catch {
                guard !Task.isCancelled else { return }
                if !failing {
                    logger.warning("read standby down", metadata: ["error": "\(error)"])
                    state.withLockedValue {
                        if $0.connected { $0.downSince = .now }
                        $0.connected = false
                        $0.reconnects += 1
                    }
                    metrics.listenerReconnected()
                }
                failing = true
            }
            try? await Task.sleep(for: failing ? maxBackoff / 10 : followInterval)
        }
    }

    private func pollLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            guard !Task.isCancelled else { return }
            do {
                let newest = try await database.feed.maxSeq()
                state.withLockedValue { $0.databaseSeq = newest }
                // Not only when the newest seq is ahead: a long transaction commits an entry below
                // seqs already applied. A round that finds nothing costs three small queries.
                try await store.catchUp()
            } catch {
                // The database is away; reads go on from the snapshot, the listener reconnects.
            }
        }
    }
}
