import Catalog
import CatalogStore
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The replica's current catalog snapshot, and how it follows the change log.
///
/// Readers take the current snapshot without waiting (a lock around one reference). Catch-ups run
/// one at a time: each reads the log after the last seq it has fully applied, re-reads the rows
/// those entries name (applying a change is idempotent) and publishes a new snapshot. Seqs are
/// taken before commit, so a later seq can become visible before an earlier one: holes are kept
/// open and re-read until they appear, or until `gapTimeout` says their transaction rolled back.
public final class SnapshotStore: Sendable {
    private let current: NIOLockedValueBox<CatalogSnapshot>
    private let sync: SnapshotSync

    /// Loads the whole catalog; the replica is ready once this returns.
    public static func load(feed: ChangeFeed, logger: Logger, gapTimeout: Duration = .seconds(60)) async throws -> SnapshotStore {
        let store = SnapshotStore(feed: feed, logger: logger, gapTimeout: gapTimeout)
        try await store.sync.reload()
        return store
    }

    private init(feed: ChangeFeed, logger: Logger, gapTimeout: Duration) {
        let box = NIOLockedValueBox(CatalogSnapshot.empty)
        current = box
        sync = SnapshotSync(feed: feed, box: box, logger: logger, gapTimeout: gapTimeout)
    }

    /// The snapshot to answer from.
    public var snapshot: CatalogSnapshot { current.withLockedValue { $0 } }

    /// Applies every change committed before this call (read-your-writes after a write, and the
    /// listener's reaction to a notification).
    public func catchUp() async throws { try await sync.catchUp() }

    /// Reloads everything (after the log was pruned past our position).
    public func reload() async throws { try await sync.reload() }

    /// When the last catch-up finished.
    public func lastCatchUp() async -> ContinuousClock.Instant? { await sync.lastCatchUp }
}

/// The serialised part of `SnapshotStore`.
actor SnapshotSync {
    let feed: ChangeFeed
    let box: NIOLockedValueBox<CatalogSnapshot>
    let logger: Logger
    let gapTimeout: Duration

    /// Which seqs are applied (the hole bookkeeping is `AppliedSeqs`', tested on its own).
    private var applied: AppliedSeqs
    private(set) var lastCatchUp: ContinuousClock.Instant?

    private var requested = 0
    private var completed = 0
    private var running: Task<Void, Error>?

    init(feed: ChangeFeed, box: NIOLockedValueBox<CatalogSnapshot>, logger: Logger, gapTimeout: Duration) {
        self.feed = feed
        self.box = box
        self.logger = logger
        self.gapTimeout = gapTimeout
        applied = AppliedSeqs(floor: 0, seen: [], gapTimeout: gapTimeout)
    }

    func reload() async throws {
        let (snapshot, recent) = try await feed.snapshot()
        box.withLockedValue { $0 = snapshot }
        // Seqs in the window that the loaded state did not include are holes to watch.
        applied = AppliedSeqs(floor: max(0, snapshot.seq - ChangeFeed.reloadWindow), seen: recent, gapTimeout: gapTimeout)
        applied.advance(upTo: snapshot.seq, now: .now)
        lastCatchUp = .now
        logger.info("catalog snapshot loaded", metadata: ["seq": "\(snapshot.seq)", "deployments": "\(snapshot.deployments.count)"])
    }

    /// Waits for a catch-up that started after this call; coalesces concurrent callers.
    func catchUp() async throws {
        requested += 1
        let needed = requested
        while completed < needed {
            if let running {
                // A round already under way may have started before our request: wait, then look again.
                try await running.value
                continue
            }
            let task = Task { try await self.round(startedAt: self.requested) }
            running = task
            try await task.value
        }
    }

    /// One catch-up; its bookkeeping happens on the actor before anyone waiting on it resumes.
    private func round(startedAt: Int) async throws {
        defer { running = nil }
        try await performCatchUp()
        completed = max(completed, startedAt)
    }

    private func performCatchUp() async throws {
        // A backlog larger than one page is read page by page.
        while try await catchUpPage() == ChangeFeed.pageSize {}
    }

    /// Applies one page of the log; returns how many entries it read.
    private func catchUpPage() async throws -> Int {
        let cursor = applied.contiguous
        let (changes, oldest) = try await feed.changes(after: cursor, limit: ChangeFeed.pageSize)
        if let oldest, cursor > 0, oldest > cursor + 1, !applied.hasOpenGaps {
            logger.notice("change log pruned past this replica's position: reloading", metadata: ["seq": "\(cursor)"])
            try await reload()
            return 0
        }
        // Byte-exact: canonically equivalent ids are two models, and both must be fetched.
        var modelIDs = Set<ExactID>()
        var reloadModels = false, costMapChanged = false, keysChanged = false
        for change in changes where !applied.contains(change.seq) {
            switch change.entity {
            case "model":
                if let id = change.entityID { modelIDs.insert(ExactID(id)) } else { reloadModels = true }
            case "cost_map": costMapChanged = true
            case "api_key", "tenant": keysChanged = true
            default: break
            }
            applied.insert(change.seq)
        }
        if reloadModels {
            try await reload()
            return 0
        }
        guard !changes.isEmpty else {
            // Nothing new (e.g. the NOTIFY of a write this replica already applied): publishing a
            // new snapshot would only rebuild it and empty the response cache.
            applied.advance(upTo: box.withLockedValue { $0.seq }, now: .now)
            lastCatchUp = .now
            return 0
        }
        let models = modelIDs.isEmpty ? [] : try await feed.models(ids: modelIDs.sorted().map(\.text))
        let costMap = costMapChanged ? try await feed.costMap() : nil
        let keys = keysChanged ? try await feed.keys() : nil
        let highest = changes.last?.seq ?? 0
        box.withLockedValue { snapshot in
            var next = modelIDs.isEmpty ? snapshot : snapshot.replacing(ids: modelIDs, with: models, seq: snapshot.seq)
            next = next.with(seq: max(snapshot.seq, highest), costMap: costMap, keysByDigest: keys)
            snapshot = next
        }
        applied.advance(upTo: max(highest, box.withLockedValue { $0.seq }), now: .now)
        lastCatchUp = .now
        return changes.count
    }
}
