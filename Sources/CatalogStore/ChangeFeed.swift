import Catalog
import Foundation
import Postgres

/// One entry of the change log.
public struct CatalogChange: Sendable, Hashable {
    public var seq: Int64
    public var entity: String
    public var op: String
    public var entityID: String?
}

/// Reads the change log and the current state of what changed: what a replica needs to keep its
/// snapshot in step. Parameterised queries only.
public struct ChangeFeed: Sendable {
    public static let channel = "catalog_changes"
    /// Entries read per query when catching up.
    public static let pageSize = 5_000
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// Entries after `seq`, oldest first, plus the oldest seq the log still holds (to notice pruning).
    public func changes(after seq: Int64, limit: Int = 10_000) async throws -> (changes: [CatalogChange], oldest: Int64?) {
        try await pool.withConnection { connection in
            let rows = try connection.query("""
                SELECT seq, entity, op, entity_id FROM changes WHERE seq > \(seq) ORDER BY seq LIMIT \(limit)
                """)
            let oldest = try connection.query("SELECT min(seq) AS oldest FROM changes")[0].decode(Int64?.self, "oldest")
            return (try rows.map { row in
                CatalogChange(seq: try row.decode(Int64.self, "seq"), entity: try row.decode(String.self, "entity"),
                              op: try row.decode(String.self, "op"), entityID: try row.decode(String?.self, "entity_id"))
            }, oldest)
        }
    }

    /// The newest seq of the log (0 when empty).
    public func maxSeq() async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("SELECT coalesce(max(seq), 0) AS seq FROM changes")[0].decode(Int64.self, "seq")
        }
    }

    /// How far back a full reload remembers which seqs it saw, to notice changes committed late
    /// (a transaction that took its seq before others but committed after them).
    public static let reloadWindow: Int64 = 10_000

    /// The whole catalog, read in one transaction so that it is consistent with the seq it
    /// reports, and the seqs of the log's recent entries that this state includes.
    public func snapshot() async throws -> (snapshot: CatalogSnapshot, recentSeqs: [Int64]) {
        try await pool.withConnection { connection in
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { try? connection.execute("COMMIT") }
            let seq = try connection.query("SELECT coalesce(max(seq), 0) AS seq FROM changes")[0].decode(Int64.self, "seq")
            let recent = try connection.query("SELECT seq FROM changes WHERE seq > \(seq - Self.reloadWindow) ORDER BY seq")
                .map { try $0.decode(Int64.self, "seq") }
            let rows = try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models ORDER BY ordinal
                """)
            let models = try ModelRepository.deployments(rows)
            return (CatalogSnapshot(seq: seq, deployments: models, costMap: try Self.costMap(on: connection),
                                    keysByDigest: try Self.keys(on: connection)), recent)
        }
    }

    /// The current rows of these models, in catalog order (deleted ones are absent).
    public func models(ids: [String]) async throws -> [Deployment] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models WHERE id = ANY(\(ids)) ORDER BY ordinal
                """).map(ModelRepository.deployment)
        }
    }

    public func costMap() async throws -> CostMap {
        try await pool.withConnection { connection in try Self.costMap(on: connection) }
    }

    public func keys() async throws -> [[UInt8]: APIKeyRecord] {
        try await pool.withConnection { connection in try Self.keys(on: connection) }
    }

    static func costMap(on connection: PostgresConnection) throws -> CostMap {
        // One JSON document rather than thousands of rows: far less per-row work.
        let text = try connection.query("SELECT coalesce(jsonb_object_agg(key, entry), '{}'::jsonb) AS map FROM cost_map")[0]
            .decode(PostgresJSONB.self, "map").text
        let decoded = try JSONParser.parse(text).objectValue ?? [:]
        return CostMap(entries: decoded.compactMapValues(\.objectValue))
    }

    static func keys(on connection: PostgresConnection) throws -> [[UInt8]: APIKeyRecord] {
        var keys: [[UInt8]: APIKeyRecord] = [:]
        for row in try connection.query("""
            SELECT id, key_hash, key_alias, role, tenant_id, models, expires_at, created_at, created_by FROM api_keys
            """) {
            keys[try row.decode(PostgresBytes.self, "key_hash").bytes] = try KeyRepository.record(row)
        }
        return keys
    }
}
