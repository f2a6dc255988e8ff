import Catalog
import Foundation
import Postgres

/// The `cost_map` table: LiteLLM's model_prices_and_context_window.json, one row per key.
public struct CostMapRepository: Sendable {
    static let lockKey = 0x6D63_636F_7374_6D70  // "mccostmp"
    /// A map with fewer entries is refused unless forced: it is surely not LiteLLM's map.
    public static let minimumEntries = 50

    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// The entries for the given keys (those that exist), with their price overrides.
    public func entries(for keys: [String]) async throws -> CostMap {
        guard !keys.isEmpty else { return CostMap() }
        return try await pool.withConnection { connection in try Self.entries(for: keys, on: connection) }
    }

    static func entries(for keys: [String], on connection: PostgresConnection) throws -> CostMap {
        guard !keys.isEmpty else { return CostMap() }
        let rows = try connection.query("SELECT key, entry FROM cost_map WHERE key = ANY(\(keys))")
        var entries: [String: [String: JSONValue]] = [:]
        for row in rows { entries[try row.decode(String.self, "key")] = try JSONColumns.object(row, "entry") }
        return CostMap(entries: entries, overrides: try PriceOverrideRepository.overrides(keys: keys, on: connection))
    }

    /// Every entry (what a wildcard route lists from).
    public func all() async throws -> CostMap {
        try await pool.withConnection { connection in try ChangeFeed.costMap(on: connection) }
    }

    /// The whole map as one JSON object, in LiteLLM's format.
    public func document() async throws -> String {
        try await pool.withConnection { connection in
            try connection.query("SELECT coalesce(jsonb_object_agg(key, entry), '{}'::jsonb) AS map FROM cost_map")[0]
                .decode(PostgresJSONB.self, "map").text
        }
    }

    public func count() async throws -> Int {
        try await pool.withConnection { connection in
            try connection.query("SELECT count(*) AS n FROM cost_map")[0].decode(Int.self, "n")
        }
    }

    /// Replaces the map with `document`. Refuses a map of fewer than 50 entries, or one that would
    /// shrink the current map by more than half, unless `force`. Returns the new entry count.
    @discardableResult
    public func replace(with document: CostMapDocument, force: Bool, actor: String?) async throws -> Int {
        try await pool.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try ModelRepository.setActor(actor, on: connection)
            let current = try connection.query("SELECT count(*) AS n FROM cost_map")[0].decode(Int.self, "n")
            if !force {
                if document.count < Self.minimumEntries {
                    throw CatalogError.invalid(
                        field: "cost_map",
                        message: "the new cost map has \(document.count) entries, fewer than \(Self.minimumEntries); use force to load it anyway")
                }
                if current > 0, document.count * 2 < current {
                    throw CatalogError.invalid(
                        field: "cost_map",
                        message: "the new cost map has \(document.count) entries and would shrink the current \(current) by more than half; use force to load it anyway")
                }
            }
            try connection.query("DELETE FROM cost_map")
            try connection.query("""
                INSERT INTO cost_map (key, entry)
                SELECT key, value FROM jsonb_each(\(PostgresJSONB(document.text)))
                WHERE key <> 'sample_spec' AND jsonb_typeof(value) = 'object'
                """)
            return document.count
        }
    }

    /// Loads the bundled map when the table is empty (a new database). Safe with concurrent replicas.
    @discardableResult
    public func seedIfEmpty() async throws -> Bool {
        let document = try CostMapDocument.bundled()
        return try await pool.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try ModelRepository.setActor("seed", on: connection)
            let current = try connection.query("SELECT count(*) AS n FROM cost_map")[0].decode(Int.self, "n")
            guard current == 0 else { return false }
            try connection.query("""
                INSERT INTO cost_map (key, entry)
                SELECT key, value FROM jsonb_each(\(PostgresJSONB(document.text)))
                WHERE key <> 'sample_spec' AND jsonb_typeof(value) = 'object'
                """)
            return true
        }
    }
}

/// A cost map in LiteLLM's format, checked before it goes near the database.
public struct CostMapDocument: Sendable {
    /// The JSON text as received.
    public let text: String
    /// Entries that will be stored: object values, without LiteLLM's `sample_spec` documentation entry.
    public let count: Int

    /// Checks that `data` is a JSON object of objects (the other entries are skipped, and counted out).
    public init(data: Data) throws {
        guard let object = (try? JSONParser.parse(bytes: Array(data)))?.objectValue else {
            throw CatalogError.invalid(field: "cost_map", message: "a cost map must be a JSON object of model entries")
        }
        count = object.filter { $0.key != "sample_spec" && $0.value.objectValue != nil }.count
        text = String(decoding: data, as: UTF8.self)
    }

    /// The copy of LiteLLM's map that ships with ModelCatalog.
    public static func bundled() throws -> CostMapDocument {
        guard let url = Bundle.module.url(forResource: "model_prices_and_context_window", withExtension: "json") else {
            throw CatalogStoreError.missingResource("model_prices_and_context_window.json")
        }
        return try CostMapDocument(data: try Data(contentsOf: url))
    }
}
