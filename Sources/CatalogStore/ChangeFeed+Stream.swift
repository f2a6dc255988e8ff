import Catalog
import Foundation
import Postgres

/// One entry of the change log in commit order, as the public change stream needs it.
public struct StreamEntry: Sendable {
    /// The entry's commit position (`changes.pos`): 1, 2, 3, … with no hole, in commit order.
    public var position: Int64
    public var entity: String
    public var op: String
    public var entityID: String?
    public var tenantID: String?
    /// A model's row before and after the change (never a secret: stored rows hold none).
    public var before: Deployment?
    public var after: Deployment?
}

extension ChangeFeed {
    /// The entries with positions in `(after, through]`, in position order, at most `limit`.
    /// Positions commit in order, so what this returns up to the log's highest position has no
    /// hole, unless the log was pruned (`bounds` tells).
    public func entries(after: Int64, through: Int64, limit: Int) async throws -> [StreamEntry] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT pos, entity, op, entity_id, tenant_id, before, after FROM changes
                WHERE pos > \(after) AND pos <= \(through) ORDER BY pos LIMIT \(limit)
                """).map { row in
                StreamEntry(
                    position: try row.decode(Int64.self, "pos"), entity: try row.decode(String.self, "entity"),
                    op: try row.decode(String.self, "op"), entityID: try row.decode(String?.self, "entity_id"),
                    tenantID: try row.decode(String?.self, "tenant_id"),
                    before: try HistoryRepository.deployment(row, "before"), after: try HistoryRepository.deployment(row, "after"))
            }
        }
    }

    /// The oldest position the log still holds, and the highest ever committed (pruning keeps
    /// the counter): `oldest` is `highest + 1` when the log holds nothing.
    public func positionBounds() async throws -> (oldest: Int64, highest: Int64) {
        try await pool.withConnection { connection in
            let row = try connection.query("""
                SELECT (SELECT min(pos) FROM changes) AS oldest, (SELECT last FROM change_position_counter) AS highest
                """)[0]
            let highest = try row.decode(Int64?.self, "highest") ?? 0
            return (try row.decode(Int64?.self, "oldest") ?? highest + 1, highest)
        }
    }

    /// The last position given out (`change_position_counter`): what a follower on a standby, which
    /// cannot LISTEN, compares every few milliseconds; one row, not `positionBounds`' two reads.
    public func lastGivenPosition() async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("SELECT last FROM change_position_counter")[0].decode(Int64?.self, at: 0) ?? 0
        }
    }

    static func highestPosition(on connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT coalesce(max(pos), 0) AS pos FROM changes")[0].decode(Int64.self, "pos")
    }
}
