import Catalog
import Foundation
import Postgres

/// The `models` table: deployments, read and written with parameterised queries only.
public struct ModelRepository: Sendable {
    let pool: PostgresConnectionPool

    public init(pool: PostgresConnectionPool) {
        self.pool = pool
    }


    /// Every deployment, in the order they arrived (config order first, as LiteLLM lists them).
    public func all() async throws -> [Deployment] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models ORDER BY ordinal
                """).map(Self.deployment)
        }
    }

    /// One deployment, or nil.
    public func find(id: String) async throws -> Deployment? {
        try await pool.withConnection { connection in
            try Self.find(id: id, on: connection)
        }
    }

    /// Stores a new deployment; a duplicate id is a conflict on `model_info.id`.
    public func insert(_ deployment: Deployment, actor: String?) async throws -> Deployment {
        try await pool.transaction { connection in
            try Self.setActor(actor, on: connection)
            do {
                return try Self.deployment(try connection.query("""
                    INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source, created_by, updated_by)
                    VALUES (\(deployment.id), \(deployment.tenantID), \(deployment.modelName),
                            \(JSONColumns.bind(deployment.litellmParams)), \(JSONColumns.bind(deployment.modelInfo)),
                            \(deployment.source.rawValue), \(actor), \(actor))
                    RETURNING id, tenant_id, model_name, litellm_params, model_info, version, source,
                              created_at, updated_at, created_by, updated_by
                    """)[0])
            } catch let error as PostgresError where error.sqlState == .uniqueViolation {
                throw CatalogError.conflict(field: "model_info.id", message: "a model with id '\(deployment.id)' already exists")
            }
        }
    }

    /// Changes a deployment: `change` gets the current row (locked) and returns the new one, or
    /// throws to leave it as it is. Throws `notFound` when there is no such id.
    public func update(
        id: String, actor: String?, _ change: @escaping @Sendable (Deployment) throws -> Deployment
    ) async throws -> Deployment {
        try await pool.transaction { connection in
            try Self.setActor(actor, on: connection)
            let rows = try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models WHERE id = \(id) FOR UPDATE
                """)
            guard let row = rows.first else { throw CatalogError.notFound(message: "model '\(id)' not found") }
            let updated = try change(try Self.deployment(row))
            return try Self.deployment(try connection.query("""
                UPDATE models SET tenant_id = \(updated.tenantID), model_name = \(updated.modelName),
                       litellm_params = \(JSONColumns.bind(updated.litellmParams)),
                       model_info = \(JSONColumns.bind(updated.modelInfo)),
                       version = version + 1, updated_at = now(), updated_by = \(actor)
                WHERE id = \(id)
                RETURNING id, tenant_id, model_name, litellm_params, model_info, version, source,
                          created_at, updated_at, created_by, updated_by
                """)[0])
        }
    }

    /// Deletes a deployment and returns it. `allow` sees it first and may throw to refuse.
    /// Deleting a config model leaves a tombstone, so that a restart with the same config entry
    /// does not bring it back.
    public func delete(
        id: String, actor: String?, allow: @escaping @Sendable (Deployment) throws -> Void = { _ in }
    ) async throws -> Deployment {
        try await pool.transaction { connection in
            try Self.setActor(actor, on: connection)
            guard let current = try Self.find(id: id, on: connection, lock: true) else {
                throw CatalogError.notFound(message: "model '\(id)' not found")
            }
            try allow(current)
            let removed = try connection.query("DELETE FROM models WHERE id = \(id) RETURNING config_hash")
            if let hash = try removed.first?.decode(String?.self, "config_hash") {
                try connection.query("""
                    INSERT INTO config_tombstones (id, config_hash, deleted_by) VALUES (\(id), \(hash), \(actor))
                    ON CONFLICT (id) DO UPDATE SET config_hash = EXCLUDED.config_hash, deleted_at = now(),
                                                   deleted_by = EXCLUDED.deleted_by
                    """)
            }
            return current
        }
    }

    static func find(id: String, on connection: PostgresConnection, lock: Bool = false) throws -> Deployment? {
        let rows = lock
            ? try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models WHERE id = \(id) FOR UPDATE
                """)
            : try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by
                FROM models WHERE id = \(id)
                """)
        return try rows.first.map(deployment)
    }

    /// Records who makes the transaction's changes, for the change log's triggers.
    static func setActor(_ actor: String?, on connection: PostgresConnection) throws {
        try connection.query("SELECT set_config('catalog.actor', \(actor ?? ""), true)")
    }

    static func deployment(_ row: PostgresRow) throws -> Deployment {
        Deployment(
            id: try row.decode(String.self, "id"),
            tenantID: try row.decode(String?.self, "tenant_id"),
            modelName: try row.decode(String.self, "model_name"),
            litellmParams: try JSONColumns.object(row, "litellm_params"),
            modelInfo: try JSONColumns.object(row, "model_info"),
            version: try row.decode(Int.self, "version"),
            source: Deployment.Source(rawValue: try row.decode(String.self, "source")) ?? .api,
            createdAt: try row.decode(Date?.self, "created_at"),
            updatedAt: try row.decode(Date?.self, "updated_at"),
            createdBy: try row.decode(String?.self, "created_by"),
            updatedBy: try row.decode(String?.self, "updated_by"))
    }
}
