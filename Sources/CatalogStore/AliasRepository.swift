import Catalog
import Postgres

/// The `model_group_aliases` table: router aliases (`router_settings.model_group_alias`).
public struct AliasRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// Every alias, in alias byte order (what every replica lists).
    public func all() async throws -> [ModelGroupAlias] {
        try await pool.withConnection { connection in try Self.all(on: connection) }
    }

    static func all(on connection: PostgresConnection) throws -> [ModelGroupAlias] {
        try connection.query("""
            SELECT alias, model_group, hidden FROM model_group_aliases ORDER BY alias COLLATE "C"
            """).map { row in
                ModelGroupAlias(alias: try row.decode(String.self, "alias"), modelGroup: try row.decode(String.self, "model_group"),
                                hidden: try row.decode(Bool.self, "hidden"))
            }
    }

    /// Makes `aliases` the config's aliases: the config's rows not among them are removed, the
    /// others inserted or updated; aliases written with SQL are left alone unless the config names
    /// them. Nothing is written (and nothing logged) when the rows already say this.
    /// Returns whether anything changed.
    @discardableResult
    public func loadConfig(_ aliases: [ModelGroupAlias], actor: String = Principal.config.actor) async throws -> Bool {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            // Replicas starting together with the same file take turns, like ConfigModelLoader.
            try connection.query("SELECT pg_advisory_xact_lock(\(ConfigModelLoader.lockKey))")
            var stored: [ExactID: (group: String, hidden: Bool, source: String)] = [:]
            for row in try connection.query("SELECT alias, model_group, hidden, source FROM model_group_aliases") {
                stored[ExactID(try row.decode(String.self, "alias"))] = (
                    try row.decode(String.self, "model_group"), try row.decode(Bool.self, "hidden"), try row.decode(String.self, "source"))
            }
            let wanted = Set(aliases.map { ExactID($0.alias) })
            let stale = stored.filter { $0.value.source == "config" && !wanted.contains($0.key) }.map(\.key.text).sorted()
            var changed = false
            if !stale.isEmpty {
                try connection.query("DELETE FROM model_group_aliases WHERE alias = ANY(\(stale))")
                changed = true
            }
            for alias in aliases {
                if let row = stored[ExactID(alias.alias)], row.source == "config",
                   ExactID(row.group) == ExactID(alias.modelGroup), row.hidden == alias.hidden { continue }
                try connection.query("""
                    INSERT INTO model_group_aliases (alias, model_group, hidden, source)
                    VALUES (\(alias.alias), \(alias.modelGroup), \(alias.hidden), 'config')
                    ON CONFLICT (alias) DO UPDATE SET model_group = EXCLUDED.model_group, hidden = EXCLUDED.hidden,
                                                      source = 'config', updated_at = now()
                    """)
                changed = true
            }
            return changed
        }
    }
}
