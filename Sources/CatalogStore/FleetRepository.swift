import Catalog
import Foundation
import Postgres

/// One replica as it last reported itself (`fleet_members`).
public struct FleetMember: Sendable {
    public var replicaID: String
    public var host: String
    public var pid: Int
    public var startedAt: Date
    public var seenAt: Date
    public var appliedSeq: Int64
    /// Its change-stream subscribers, as it described them (no key text: aliases and tokens).
    public var subscribers: [JSONValue]

    public init(replicaID: String, host: String, pid: Int, startedAt: Date, seenAt: Date, appliedSeq: Int64, subscribers: [JSONValue]) {
        self.replicaID = replicaID
        self.host = host
        self.pid = pid
        self.startedAt = startedAt
        self.seenAt = seenAt
        self.appliedSeq = appliedSeq
        self.subscribers = subscribers
    }
}

/// The replicas' presence reports. Parameterised queries only.
public struct FleetRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// Records this replica's report, and forgets replicas silent for longer than `forgetAfter`.
    public func report(_ member: FleetMember, forgetAfter: Duration = .seconds(300)) async throws {
        let subscribers = PostgresJSONB(JSONWriter.string(.array(member.subscribers)))
        let forget = Double(forgetAfter.components.seconds)
        try await pool.withConnection { connection in
            try connection.query("""
                INSERT INTO fleet_members (replica_id, host, pid, started_at, seen_at, applied_seq, subscribers)
                VALUES (\(member.replicaID), \(member.host), \(Int32(member.pid)), \(member.startedAt), now(), \(member.appliedSeq), \(subscribers))
                ON CONFLICT (replica_id) DO UPDATE SET seen_at = now(), applied_seq = EXCLUDED.applied_seq,
                    subscribers = EXCLUDED.subscribers
                """)
            _ = try connection.query("DELETE FROM fleet_members WHERE seen_at < now() - make_interval(secs => \(forget))")
        }
    }

    /// Removes this replica's report (at graceful shutdown).
    public func leave(replicaID: String) async throws {
        try await pool.withConnection { connection in
            _ = try connection.query("DELETE FROM fleet_members WHERE replica_id = \(replicaID)")
        }
    }

    /// The replicas that reported within `within`, by host and start.
    public func members(within: Duration) async throws -> [FleetMember] {
        let seconds = Double(within.components.seconds)
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT replica_id, host, pid, started_at, seen_at, applied_seq, subscribers FROM fleet_members
                WHERE seen_at >= now() - make_interval(secs => \(seconds)) ORDER BY host, started_at, replica_id
                """).map { row in
                let subscribers = try row.decode(PostgresJSONB.self, "subscribers").text
                return FleetMember(
                    replicaID: try row.decode(String.self, "replica_id"), host: try row.decode(String.self, "host"),
                    pid: Int(try row.decode(Int32.self, "pid")), startedAt: try row.decode(Date.self, "started_at"),
                    seenAt: try row.decode(Date.self, "seen_at"), appliedSeq: try row.decode(Int64.self, "applied_seq"),
                    subscribers: try JSONParser.parse(subscribers).arrayValue ?? [])
            }
        }
    }
}
