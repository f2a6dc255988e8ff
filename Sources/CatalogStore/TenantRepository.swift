import Catalog
import Foundation
import Postgres

/// A tenant: what LiteLLM calls a team.
public struct Tenant: Sendable, Hashable {
    public var id: String
    public var alias: String?
    public var metadata: [String: JSONValue]
    public var createdAt: Date?

    public init(id: String, alias: String?, metadata: [String: JSONValue] = [:], createdAt: Date? = nil) {
        self.id = id
        self.alias = alias
        self.metadata = metadata
        self.createdAt = createdAt
    }
}

/// The `tenants` table.
public struct TenantRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    public func create(_ tenant: Tenant, actor: String?) async throws -> Tenant {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            return try Self.tenant(try connection.query("""
                INSERT INTO tenants (id, alias, metadata, created_by, updated_by)
                VALUES (\(tenant.id), \(tenant.alias), \(JSONColumns.bind(tenant.metadata)), \(actor), \(actor))
                RETURNING id, alias, metadata, created_at
                """)[0])
        }
    }

    public func all() async throws -> [Tenant] {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, alias, metadata, created_at FROM tenants ORDER BY created_at, id").map(Self.tenant)
        }
    }

    public func find(id: String) async throws -> Tenant? {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, alias, metadata, created_at FROM tenants WHERE id = \(id)").first.map(Self.tenant)
        }
    }

    /// Deletes teams with their keys. Refused while a team still has models, unless `force`, which
    /// deletes those models too. All or nothing.
    public func delete(ids: [String], force: Bool, actor: String?) async throws -> [String] {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            for id in ids {
                guard try !connection.query("SELECT 1 FROM tenants WHERE id = \(id) FOR UPDATE").isEmpty else {
                    throw CatalogError.notFound(message: "team '\(id)' not found")
                }
                let models = try connection.query("SELECT count(*) AS n FROM models WHERE tenant_id = \(id)")[0].decode(Int.self, "n")
                if models > 0 {
                    guard force else {
                        throw CatalogError.conflict(
                            field: "team_ids", message: "team '\(id)' still has \(models) model(s): delete them first, or pass force")
                    }
                    try connection.query("DELETE FROM models WHERE tenant_id = \(id)")
                }
                try connection.query("DELETE FROM api_keys WHERE tenant_id = \(id)")
                try connection.query("DELETE FROM tenants WHERE id = \(id)")
            }
            return ids
        }
    }

    static func tenant(_ row: PostgresRow) throws -> Tenant {
        Tenant(id: try row.decode(String.self, "id"), alias: try row.decode(String?.self, "alias"),
               metadata: try JSONColumns.object(row, "metadata"), createdAt: try row.decode(Date?.self, "created_at"))
    }
}
