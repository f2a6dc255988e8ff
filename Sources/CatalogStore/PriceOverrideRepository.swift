import Catalog
import Foundation
import Postgres

/// The `price_overrides` table: operators' prices per cost-map key (`PriceOverride`).
public struct PriceOverrideRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// The overrides as the API and the shell list them, each with its drift against the map as
    /// it is now; `onlyDrifted`: only those whose upstream price moved since they were set.
    public func listed(onlyDrifted: Bool) async throws -> [JSONValue] {
        try await pool.withConnection { connection in
            let all = try Self.overrides(keys: nil, on: connection).values.sorted { ExactID($0.key) < ExactID($1.key) }
            let upstream = try CostMapRepository.entries(for: all.map(\.key), on: connection).entries
            return all.filter { !onlyDrifted || !$0.drift(from: upstream[$0.key]).isEmpty }.map { $0.json(upstreamEntry: upstream[$0.key]) }
        }
    }

    /// Sets the override of `key` to `prices` (replacing its previous prices), remembering what
    /// the cost map says for those fields now. `expected` (If-Match) holds it to the version the
    /// caller read (`*` or none: made if absent). Returns the override with the map's entry for
    /// its key as it read it (nil: the map has none), which its drift is told against.
    public func set(key: String, prices: [String: JSONValue], note: String?, expected: VersionPrecondition?,
                    actor: String?) async throws -> (override: PriceOverride, upstreamEntry: [String: JSONValue]?) {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            let current = try connection.query("SELECT version FROM price_overrides WHERE id = \(key) FOR UPDATE").first
            if let expected {
                guard let current else {
                    throw CatalogError.preconditionFailed(message: "the price override of '\(key)' does not exist, so If-Match cannot hold", etag: nil)
                }
                try expected.check(version: try current.decode(Int.self, "version"), of: "the price override of '\(key)'")
            }
            let entry = try connection.query("SELECT entry FROM cost_map WHERE key = \(key)").first
                .map { try JSONColumns.object($0, "entry") }
            let upstream = Dictionary(uniqueKeysWithValues: prices.keys.map { ($0, entry?[$0] ?? .null) })
            let row = try connection.query("""
                INSERT INTO price_overrides (id, prices, upstream, note, created_by, updated_by)
                VALUES (\(key), \(JSONColumns.bind(prices)), \(JSONColumns.bind(upstream)), \(note), \(actor), \(actor))
                ON CONFLICT (id) DO UPDATE SET prices = EXCLUDED.prices, upstream = EXCLUDED.upstream, note = EXCLUDED.note,
                                               updated_at = now(), updated_by = EXCLUDED.updated_by
                RETURNING id, prices, upstream, note, version, updated_at, updated_by
                """)[0]
            return (try Self.override(row), entry)
        }
    }

    /// Deletes the override of `key`: its prices fall back to the cost map's. 404 when there is none.
    public func delete(key: String, expected: VersionPrecondition?, actor: String?) async throws {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            guard let row = try connection.query("DELETE FROM price_overrides WHERE id = \(key) RETURNING version").first else {
                throw CatalogError.notFound(message: "no price override for '\(key)'")
            }
            try expected?.check(version: try row.decode(Int.self, "version"), of: "the price override of '\(key)'")
        }
    }

    /// The overrides of `keys` (nil: all of them), by key.
    static func overrides(keys: [String]?, on connection: PostgresConnection) throws -> [String: PriceOverride] {
        let rows = try keys.map { keys in
            try connection.query("""
                SELECT id, prices, upstream, note, version, updated_at, updated_by FROM price_overrides WHERE id = ANY(\(keys))
                """)
        } ?? connection.query("SELECT id, prices, upstream, note, version, updated_at, updated_by FROM price_overrides")
        var overrides: [String: PriceOverride] = [:]
        for row in rows {
            let override = try Self.override(row)
            overrides[override.key] = override
        }
        return overrides
    }

    static func override(_ row: PostgresRow) throws -> PriceOverride {
        PriceOverride(
            key: try row.decode(String.self, "id"), prices: try JSONColumns.object(row, "prices"),
            upstream: try JSONColumns.object(row, "upstream"), note: try row.decode(String?.self, "note"),
            version: try row.decode(Int.self, "version"), updatedAt: try row.decode(Date?.self, "updated_at"),
            updatedBy: try row.decode(String?.self, "updated_by"))
    }
}
