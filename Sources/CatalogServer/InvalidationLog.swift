import Catalog
import NIOConcurrencyHelpers

/// The recent generations of a replica's snapshot and what each one changed, so that the response
/// cache, meeting a newer generation, drops only the answers those changes can have touched.
///
/// A generation is recorded before the snapshot that carries it is published (under the same
/// lock), so whoever has read a snapshot finds its generation here. The log keeps the last
/// `capacity` generations: a cache further behind than that starts over.
final class InvalidationLog: Sendable {
    static let capacity: Int64 = 1024

    private let changes = NIOLockedValueBox<[Int64: ReadInvalidation]>([:])

    /// `generation` was made by `change`.
    func record(_ generation: Int64, _ change: ReadInvalidation) {
        changes.withLockedValue { changes in
            changes[generation] = change
            if changes.count > Int(Self.capacity) * 2 {
                changes = changes.filter { $0.key > generation - Self.capacity }
            }
        }
    }

    /// What changed after generation `from` up to `to`: nil when a generation in between is not
    /// known (too old, or made before the log started), and the caller must assume everything.
    func changes(after from: Int64, through to: Int64) -> ReadInvalidation? {
        guard from < to else { return .models(tenants: []) }
        guard to - from <= Self.capacity else { return nil }
        return changes.withLockedValue { changes in
            var merged = ReadInvalidation.models(tenants: [])
            for generation in (from + 1)...to {
                guard let change = changes[generation] else { return nil }
                merged = merged.merged(with: change)
            }
            return merged
        }
    }
}
