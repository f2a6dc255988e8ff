import CatalogStore
import Logging
import ServiceLifecycle

/// The change log in commit order, as this replica serves it to the change stream's subscribers.
///
/// Entries are fetched once, as the snapshot applies them (never past what it applied: an event
/// is rendered from the snapshot, which must be at least as new), and kept in a ring of recent
/// entries that every subscriber reads; a subscriber further behind reads the log itself. The
/// hub's `head` is the position up to which subscribers may read.
actor ChangeStreamHub {
    /// What a read of the stream found.
    enum Batch: Sendable {
        /// Entries after the cursor, in order, and the position to ask after next (the last
        /// entry's, or the cursor when there are none).
        case entries([StreamEntry], next: Int64)
        /// The cursor is older than the oldest entry the log keeps.
        case pruned(oldest: Int64)
    }

    /// Recent entries kept for subscribers.
    static let capacity = 4_096
    /// Entries read from the log per query.
    static let fetchSize = 1_000

    let feed: ChangeFeed
    let applied: PositionSignal
    let logger: Logger
    /// Subscribers may read up to here.
    nonisolated let head: PositionSignal

    private var ring: [StreamEntry] = []
    /// Index of the oldest kept entry in `ring` (entries before it are dropped lazily).
    private var start = 0

    init(feed: ChangeFeed, applied: PositionSignal, logger: Logger) {
        self.feed = feed
        self.applied = applied
        self.logger = logger
        head = PositionSignal(applied.value)
    }

    /// Follows the snapshot's applied position until cancelled: fetches what it applied, keeps
    /// it, and lets subscribers read it.
    func run() async {
        while !Task.isCancelled {
            let current = head.value
            guard await applied.wait(forAtLeast: current + 1, timeout: .seconds(5)) else { continue }
            do {
                try await fetch(through: applied.value)
            } catch {
                logger.warning("change stream could not read the change log; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func fetch(through target: Int64) async throws {
        while head.value < target {
            let after = head.value
            let entries = try await feed.entries(after: after, through: target, limit: Self.fetchSize)
            // A reader's catch-up (`entries(after:limit:)`) and `run` may fetch at once: whoever
            // comes back second finds the head moved, and keeps nothing twice.
            guard head.value == after else { continue }
            guard let first = entries.first, first.position == after + 1 else {
                // Pruned under us: subscribers this far behind read the log, and learn it.
                ring.removeAll()
                start = 0
                head.advance(to: target)
                return
            }
            append(entries)
            head.advance(to: entries.last?.position ?? target)
        }
    }

    private func append(_ entries: [StreamEntry]) {
        ring.append(contentsOf: entries)
        let kept = ring.count - start
        if kept > Self.capacity { start += kept - Self.capacity }
        // Compact once the dropped prefix outgrows what is kept.
        if start > Self.capacity {
            ring.removeFirst(start)
            start = 0
        }
    }

    /// Up to `limit` entries after `cursor`, never past `head`: from the ring when it still holds
    /// them, from the log otherwise. No entries (and `next == cursor`) when the cursor is at the head.
    /// The head is first brought up to what the snapshot has applied: a reader that waited for its
    /// own write (`X-Catalog-Min-Seq`) finds it here too, not only in the snapshot.
    func entries(after cursor: Int64, limit: Int) async throws -> Batch {
        let applied = applied.value
        if head.value < applied { try await fetch(through: applied) }
        let through = head.value
        guard cursor < through else { return .entries([], next: cursor) }
        if start < ring.count, cursor + 1 >= ring[start].position {
            let from = start + Int(cursor + 1 - ring[start].position)
            let slice = Array(ring[from..<min(ring.count, from + limit)])
            return .entries(slice, next: slice.last?.position ?? cursor)
        }
        let entries = try await feed.entries(after: cursor, through: through, limit: limit)
        guard let first = entries.first, first.position == cursor + 1 else {
            return .pruned(oldest: try await feed.positionBounds().oldest)
        }
        return .entries(entries, next: entries.last?.position ?? cursor)
    }
}

/// Runs the hub for as long as the application runs.
struct ChangeStreamService: Service {
    let hub: ChangeStreamHub

    func run() async throws {
        await cancelWhenGracefulShutdown { await hub.run() }
    }
}
