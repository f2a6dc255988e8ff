import Catalog
import Foundation
import Postgres

/// One entry of the change log.
public struct CatalogChange: Sendable, Hashable {
    public var seq: Int64
    /// The transaction that wrote the entry (`pg_current_xact_id()`).
    public var xid: Int64
    public var entity: String
    public var op: String
    public var entityID: String?

    public var entry: FeedPosition.Entry { FeedPosition.Entry(seq: seq, xid: xid) }
}

/// What one read of the log found: its final entries after the cursor, its visible open ones, and
/// the horizon that divides them (see `FeedPosition`).
public struct ChangePage: Sendable {
    /// `pg_snapshot_xmin` when the page was read: no transaction below it was still running.
    public var horizon: Int64
    /// Entries below the horizon after the cursor, in (xid, seq) order, at most a page.
    public var final: [CatalogChange]
    /// Visible entries at or above the horizon that the caller had not applied, in seq order.
    public var open: [CatalogChange]
    /// The oldest seq the log still holds (to notice pruning).
    public var oldest: Int64?
    /// The log's highest commit position in the snapshot that read the entries: once the page has
    /// been applied and nothing more remained to read, every change up to it is applied (positions
    /// commit in order, so every one up to it was visible to that snapshot).
    public var position: Int64
    /// The current rows of the models the page's entries name, read with the entries (one round
    /// trip less per change on every replica), by id; a model in `modelsRead` but not here is deleted.
    public var models: [String: CatalogSnapshot.Placed] = [:]
    /// The ids whose rows the page read. Entries added to finish a transaction cut by the page
    /// size are not among them: their rows are read apart (`models(ids:)`).
    public var modelsRead: Set<String> = []
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

    /// One page of the log for a replica at `position`: the final entries after its cursor (at
    /// most `limit`) and, once those are exhausted, the visible open entries it has not applied.
    ///
    /// Two statements where there were six, because every replica reads a page after every write:
    /// - the horizon first: every transaction below it had ended by then, so the second statement
    ///   sees all of their entries;
    /// - then the entries, the current rows of the models they name, the commit position and the
    ///   oldest seq, all from one snapshot: the commit position covers only entries the page sees,
    ///   and a prune is seen together with what it removed.
    ///
    /// The horizon is not folded into the second statement: computed inside it, it is a value the
    /// planner cannot see, and the plan scanned the whole log for the open entries.
    public func page(after position: FeedPosition, limit: Int = pageSize) async throws -> ChangePage {
        try await pool.withConnection { connection in
            let horizon = try connection.query(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon")[0].decode(Int64.self, "horizon")
            let cursor = position.cursor
            let skip = position.openSeqs.map(String.init)
            let rows = try connection.query("""
                WITH final AS (
                    SELECT false AS open, seq, xid, entity, op, entity_id FROM changes
                    WHERE (xid, seq) > (\(cursor.xid)::text::xid8, \(cursor.seq)) AND xid < \(horizon)::text::xid8
                    ORDER BY xid, seq LIMIT \(limit)),
                open AS (
                    SELECT true AS open, seq, xid, entity, op, entity_id FROM changes
                    WHERE xid >= \(horizon)::text::xid8 AND NOT (seq = ANY(\(skip)::bigint[]))
                    ORDER BY seq LIMIT \(limit))
                SELECT (SELECT coalesce(max(pos), 0) FROM changes) AS committed, (SELECT min(seq) FROM changes) AS oldest,
                       e.open, e.seq, e.xid::text::bigint AS xid, e.entity, e.op, e.entity_id,
                       m.ordinal, m.id, m.tenant_id, m.model_name, m.litellm_params, m.model_info, m.version, m.source,
                       m.created_at, m.updated_at, m.created_by, m.updated_by
                FROM (SELECT 1) AS one LEFT JOIN (SELECT * FROM final UNION ALL SELECT * FROM open) AS e ON true
                LEFT JOIN models AS m ON e.entity = 'model' AND m.id = e.entity_id
                """)
            let first = rows[0]
            let committed = try first.decode(Int64.self, "committed")
            let oldest = try first.decode(Int64?.self, "oldest")
            var final: [CatalogChange] = [], open: [CatalogChange] = []
            var models: [String: CatalogSnapshot.Placed] = [:], modelsRead = Set<String>()
            for row in rows {
                // No entry at all: the one row holds only the commit position and the oldest seq.
                guard let isOpen = try row.decode(Bool?.self, "open") else { continue }
                let change = try Self.change(row)
                isOpen ? open.append(change) : final.append(change)
                guard change.entity == "model", let id = change.entityID, modelsRead.insert(id).inserted,
                      try row.decode(String?.self, "id") != nil else { continue }
                models[id] = CatalogSnapshot.Placed(ordinal: try row.decode(Int64.self, "ordinal"),
                                                    deployment: try ModelRepository.deployment(row))
            }
            // UNION ALL keeps no order: each part is put back in the order it was cut in.
            final.sort { ($0.xid, $0.seq) < ($1.xid, $1.seq) }
            open.sort { $0.seq < $1.seq }
            // A page holds whole transactions: a batch (POST /model/batch, a plan's apply) is
            // applied by a replica in one step, never half of it first.
            if final.count == limit, let last = final.last {
                final += try connection.query("""
                    SELECT seq, xid::text::bigint AS xid, entity, op, entity_id FROM changes
                    WHERE xid = \(last.xid)::text::xid8 AND seq > \(last.seq) ORDER BY seq
                    """).map(Self.change)
            }
            // Open entries count only once the final ones are drained (the caller takes them then).
            if final.count >= limit { open = [] }
            if open.count == limit {
                let xids = Array(Set(open.map { String($0.xid) }))
                let have = open.map { String($0.seq) }
                open += try connection.query("""
                    SELECT seq, xid::text::bigint AS xid, entity, op, entity_id FROM changes
                    WHERE xid::text = ANY(\(xids)) AND NOT (seq = ANY(\(skip)::bigint[])) AND NOT (seq = ANY(\(have)::bigint[]))
                    ORDER BY seq
                    """).map(Self.change)
            }
            return ChangePage(horizon: horizon, final: final, open: open, oldest: oldest, position: committed,
                              models: models, modelsRead: modelsRead)
        }
    }

    static func change(_ row: PostgresRow) throws -> CatalogChange {
        CatalogChange(seq: try row.decode(Int64.self, "seq"), xid: try row.decode(Int64.self, "xid"),
                      entity: try row.decode(String.self, "entity"), op: try row.decode(String.self, "op"),
                      entityID: try row.decode(String?.self, "entity_id"))
    }

    /// The newest seq of the log (0 when empty).
    public func maxSeq() async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("SELECT coalesce(max(seq), 0) AS seq FROM changes")[0].decode(Int64.self, "seq")
        }
    }

    /// The whole catalog, read in one transaction, with the position in the log it reflects:
    /// everything below the transaction's horizon, and the open entries its snapshot saw.
    /// `committed` is the log's highest commit position in the same transaction snapshot: the
    /// loaded catalog is exactly the state after every change up to it.
    public func snapshot() async throws -> (snapshot: CatalogSnapshot, position: FeedPosition, committed: Int64) {
        let conninfo = pool.pool.configuration.conninfo
        return try await pool.withConnection { connection in
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { try? connection.execute("COMMIT") }
            // The first statement takes the transaction's snapshot; its xmin is the horizon.
            let horizon = try connection.query(
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon")[0].decode(Int64.self, "horizon")
            let seq = try connection.query("SELECT coalesce(max(seq), 0) AS seq FROM changes")[0].decode(Int64.self, "seq")
            let committed = try Self.highestPosition(on: connection)
            let included = try connection.query("""
                SELECT seq, xid::text::bigint AS xid FROM changes WHERE xid >= \(horizon)::text::xid8
                """).map { FeedPosition.Entry(seq: try $0.decode(Int64.self, "seq"), xid: try $0.decode(Int64.self, "xid")) }
            let snapshot = CatalogSnapshot(seq: seq, parts: try ModelLoad.all(on: connection, conninfo: conninfo),
                                           costMap: try Self.costMap(on: connection), keysByDigest: try Self.keys(on: connection),
                                           aliases: try AliasRepository.all(on: connection),
                                           credentials: CredentialSet(try CredentialRepository.all(on: connection)))
            return (snapshot, FeedPosition(horizon: horizon, included: included), committed)
        }
    }

    /// The current rows of these models with their catalog positions, in catalog order (deleted
    /// ones are absent).
    public func models(ids: [String]) async throws -> [CatalogSnapshot.Placed] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT ordinal, id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models WHERE id = ANY(\(ids)) ORDER BY ordinal
                """).map { row in
                    CatalogSnapshot.Placed(ordinal: try row.decode(Int64.self, "ordinal"), deployment: try ModelRepository.deployment(row))
                }
        }
    }

    /// The router aliases now.
    public func aliases() async throws -> [ModelGroupAlias] {
        try await pool.withConnection { connection in try AliasRepository.all(on: connection) }
    }

    public func costMap() async throws -> CostMap {
        try await pool.withConnection { connection in try Self.costMap(on: connection) }
    }

    /// Every credential as it may be shown (never values).
    public func credentials() async throws -> CredentialSet {
        try await pool.withConnection { connection in CredentialSet(try CredentialRepository.all(on: connection)) }
    }

    public func keys() async throws -> [[UInt8]: APIKeyRecord] {
        try await pool.withConnection { connection in try Self.keys(on: connection) }
    }

    static func costMap(on connection: PostgresConnection) throws -> CostMap {
        // One JSON document rather than thousands of rows: far less per-row work.
        let text = try connection.query("SELECT coalesce(jsonb_object_agg(key, entry), '{}'::jsonb) AS map FROM cost_map")[0]
            .decode(PostgresJSONB.self, "map").text
        let decoded = try JSONParser.parse(text).objectValue ?? [:]
        return CostMap(entries: decoded.compactMapValues(\.objectValue), overrides: try PriceOverrideRepository.overrides(keys: nil, on: connection))
    }

    /// Every key by its digest, each with its team's allow-list: a team's change (an entry of
    /// entity `tenant`) reloads the keys, so enforcement follows it like any key change.
    static func keys(on connection: PostgresConnection) throws -> [[UInt8]: APIKeyRecord] {
        var keys: [[UInt8]: APIKeyRecord] = [:]
        for row in try connection.query("""
            SELECT k.id, k.key_hash, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                   k.aliases, k.updated_at, k.version, t.models AS team_models
            FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
            """) {
            keys[try row.decode(PostgresBytes.self, "key_hash").bytes] = try KeyRepository.record(row)
        }
        return keys
    }
}
