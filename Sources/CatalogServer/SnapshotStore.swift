import Catalog
import CatalogStore
import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a write changed, for the replica that made it to apply at once (read-your-writes).
public enum WriteEffect: Sendable {
    /// These models were created, changed or deleted.
    case models([String])
    /// Keys or teams changed (a key's principal depends on its team).
    case keys
    /// These teams were deleted, with their keys and (forced) their models.
    case teamsDeleted([String])
    /// The cost map was replaced.
    case costMap
    /// The router aliases changed (a config load).
    case aliases
    /// Credentials were created, changed or deleted.
    case credentials
}

/// How far a replica's snapshot is behind the log, as readiness and `/metrics` report it.
public struct ReplicaLag: Sendable {
    /// Since when a change has been known to wait (a notification, a poll or a reconnect asked
    /// for a catch-up that has not finished): nil when caught up.
    public var behindSince: ContinuousClock.Instant?
    /// When the last catch-up round finished, whatever it found.
    public var lastCatchUp: ContinuousClock.Instant?
    /// Entries applied whose transaction was not yet final (the horizon had not passed them).
    public var openEntries: Int

    /// How long a known change has been waiting (zero when caught up).
    public func seconds(at now: ContinuousClock.Instant = .now) -> Duration {
        behindSince.map { now - $0 } ?? .zero
    }
}

/// The replica's current catalog snapshot, and how it follows the change log.
///
/// Readers take the current snapshot without waiting (a lock around one reference). Catch-up
/// rounds run one at a time and follow the log with a `FeedPosition`: facts from PostgreSQL decide
/// what is final, never a timeout. A write's own effect is applied apart from the rounds, so a
/// reply never waits on a catch-up of other changes.
public final class SnapshotStore: Sendable {
    private let current: NIOLockedValueBox<CatalogSnapshot>
    private let sync: SnapshotSync
    /// The commit position (the public seq) up to which every change is applied in the snapshot.
    let applied: PositionSignal
    /// What each generation of the snapshot changed, for the response cache.
    let invalidations: InvalidationLog
    /// Deployments' views already rendered, shared by the reads and the change stream of this
    /// replica: a change's event is rendered once, however many subscribers hear of it.
    let rendered = RenderedViews()

    /// Loads the whole catalog; the replica is ready once this returns.
    public static func load(feed: ChangeFeed, logger: Logger) async throws -> SnapshotStore {
        let store = SnapshotStore(feed: feed, logger: logger)
        try await store.sync.reload()
        return store
    }

    private init(feed: ChangeFeed, logger: Logger) {
        let box = NIOLockedValueBox(CatalogSnapshot.empty)
        current = box
        applied = PositionSignal()
        let log = InvalidationLog()
        invalidations = log
        sync = SnapshotSync(feed: feed, box: box, logger: logger, applied: applied, invalidations: log)
    }

    /// The snapshot to answer from.
    public var snapshot: CatalogSnapshot { current.withLockedValue { $0 } }

    /// Applies every change committed before this call (the listener's reaction to a
    /// notification, a reconnect, the safety poll).
    public func catchUp() async throws { try await sync.catchUp() }

    /// Applies what a write of this replica changed, without waiting for any catch-up round.
    public func apply(_ effect: WriteEffect) async throws { try await sync.apply(effect) }

    /// How far behind the log this replica is.
    public func lag() async -> ReplicaLag { await sync.lag }

    /// The commit position (the public seq) up to which every change is applied.
    public var appliedPosition: Int64 { applied.value }

    /// Where this replica stands in the log (for tests and diagnostics).
    public func position() async -> FeedPosition { await sync.position }
}
