import Foundation
import Synchronization

/// What the writes of one request committed: the highest change-log position among them, for the
/// response's `X-Catalog-Seq`. The server binds one per request (`WriteReceipt.$current`); every
/// transaction of the store records into it after its COMMIT, so that no controller has to carry
/// positions around, and a write path added later reports its position too.
public final class WriteReceipt: Sendable {
    @TaskLocal public static var current: WriteReceipt?

    private let highest = Mutex<Int64?>(nil)

    public init() {}

    /// The highest position recorded, nil when the request committed no change.
    public var position: Int64? { highest.withLock { $0 } }

    func record(_ position: Int64) {
        highest.withLock { $0 = max($0 ?? position, position) }
    }
}
