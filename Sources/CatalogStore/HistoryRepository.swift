import Catalog
import Foundation
import Postgres

/// One change of a model, as the change log recorded it.
public struct ModelChange: Sendable {
    public var seq: Int64
    public var op: String
    public var at: Date
    /// The acting key's id ("key:…"), "master", "config", or nil for a plain-SQL change.
    public var actor: String?
    public var tenantID: String?
    public var before: Deployment?
    public var after: Deployment?
}

/// The history of models, read from the change log.
public struct HistoryRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// Newest first.
    public func history(modelID: String, limit: Int = 500) async throws -> [ModelChange] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT seq, op, at, actor, tenant_id, before, after FROM changes
                WHERE entity = 'model' AND entity_id = \(modelID)
                ORDER BY seq DESC LIMIT \(limit)
                """).map { row in
                ModelChange(
                    seq: try row.decode(Int64.self, "seq"), op: try row.decode(String.self, "op"),
                    at: try row.decode(Date.self, "at"), actor: try row.decode(String?.self, "actor"),
                    tenantID: try row.decode(String?.self, "tenant_id"),
                    before: try Self.deployment(row, "before"), after: try Self.deployment(row, "after"))
            }
        }
    }

    /// The model `modelID` as the change that gave it `version` left it (its newest such change),
    /// or nil when the log holds none: a version deleted with the log's pruning, or never given.
    static func state(modelID: String, version: Int, on connection: PostgresConnection) throws -> Deployment? {
        let rows = try connection.query("""
            SELECT after FROM changes
            WHERE entity = 'model' AND entity_id = \(modelID) AND after IS NOT NULL
              AND after ->> 'version' = \(String(version))
            ORDER BY seq DESC LIMIT 1
            """)
        return try rows.first.flatMap { try deployment($0, "after") }
    }

    /// A logged row (the models table's columns as JSON) as a deployment.
    static func deployment(_ row: PostgresRow, _ column: String) throws -> Deployment? {
        guard let text = try row.decode(PostgresJSONB?.self, column)?.text,
              let object = try JSONParser.parse(text).objectValue,
              let id = object["id"]?.stringValue, let name = object["model_name"]?.stringValue
        else { return nil }
        return Deployment(
            id: id, tenantID: object["tenant_id"]?.stringValue, modelName: name,
            litellmParams: object["litellm_params"]?.objectValue ?? [:], modelInfo: object["model_info"]?.objectValue ?? [:],
            version: object["version"]?.intValue ?? 1,
            source: Deployment.Source(rawValue: object["source"]?.stringValue ?? "api") ?? .api)
    }
}
