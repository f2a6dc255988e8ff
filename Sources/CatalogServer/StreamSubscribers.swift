import Catalog
import Foundation
import NIOConcurrencyHelpers

/// The change-stream subscribers connected to this replica, for `/fleet` and `/metrics`: who
/// (the key's alias and token, never its text), from where, and how far they have been sent.
final class StreamSubscribers: Sendable {
    struct Subscriber: Sendable {
        var key: String
        var keyAlias: String?
        var role: String
        var teamID: String?
        var remoteAddress: String?
        var view: String
        var connectedAt: Date
        var deliveredSeq: Int64
    }

    private let state = NIOLockedValueBox<(next: UInt64, all: [UInt64: Subscriber])>((0, [:]))

    func add(_ subscriber: Subscriber) -> UInt64 {
        state.withLockedValue { state in
            state.next += 1
            state.all[state.next] = subscriber
            return state.next
        }
    }

    func delivered(_ id: UInt64, seq: Int64) {
        state.withLockedValue { $0.all[id]?.deliveredSeq = seq }
    }

    func remove(_ id: UInt64) {
        _ = state.withLockedValue { $0.all.removeValue(forKey: id) }
    }

    var all: [Subscriber] { state.withLockedValue { Array($0.all.values) }.sorted { $0.connectedAt < $1.connectedAt } }

    /// How each is reported to the fleet table (and shown by `/fleet`).
    static func json(_ subscriber: Subscriber) -> JSONValue {
        [
            "key": .string(subscriber.key),
            "key_alias": subscriber.keyAlias.map(JSONValue.string) ?? .null,
            "role": .string(subscriber.role),
            "team_id": subscriber.teamID.map(JSONValue.string) ?? .null,
            "remote_address": subscriber.remoteAddress.map(JSONValue.string) ?? .null,
            "view": .string(subscriber.view),
            "connected_at": .string(subscriber.connectedAt.formatted(.iso8601)),
            "delivered_seq": .int(Int(subscriber.deliveredSeq)),
        ]
    }
}
