import Catalog
import Crypto
import Foundation
import Postgres

/// The `api_keys` table.
public struct KeyRepository: Sendable {
    let pool: StorePool

    public init(pool: PostgresConnectionPool) {
        self.pool = StorePool(pool)
    }

    /// A new key's text: `sk-` and 32 random bytes in hex. Shown once, stored as a digest.
    public static func newKeyText() -> String {
        "sk-" + SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.map { String(format: "%02x", $0) }.joined()
    }

    public static func digest(_ key: String) -> PostgresBytes {
        PostgresBytes(Array(SHA256.hash(data: Data(key.utf8))))
    }

    /// Stores a key (its digest) and returns the record.
    public func create(keyText: String, alias: String?, role: Principal.Role, tenantID: String?, models: [String]?,
                       expiresAt: Date?, actor: String?) async throws -> APIKeyRecord {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            if let tenantID, try connection.query("SELECT 1 FROM tenants WHERE id = \(tenantID)").isEmpty {
                throw CatalogError.notFound(message: "team '\(tenantID)' not found")
            }
            return try Self.record(try connection.query("""
                INSERT INTO api_keys (key_hash, key_alias, role, tenant_id, models, expires_at, created_by)
                VALUES (\(Self.digest(keyText)), \(alias), \(role.rawValue), \(tenantID), \(models)::text[], \(expiresAt), \(actor))
                RETURNING id, key_alias, role, tenant_id, models, expires_at, created_at, created_by
                """)[0])
        }
    }

    /// The live key with this text: nil when unknown, deleted or expired.
    public func authenticate(keyText: String) async throws -> APIKeyRecord? {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, key_alias, role, tenant_id, models, expires_at, created_at, created_by
                FROM api_keys WHERE key_hash = \(Self.digest(keyText)) AND (expires_at IS NULL OR expires_at > now())
                """).first.map(Self.record)
        }
    }

    /// The key with this text or id, expired or not.
    public func find(keyTextOrID: String) async throws -> APIKeyRecord? {
        try await pool.withConnection { connection in
            let byID = UUID(uuidString: keyTextOrID)
            return try connection.query("""
                SELECT id, key_alias, role, tenant_id, models, expires_at, created_at, created_by
                FROM api_keys WHERE key_hash = \(Self.digest(keyTextOrID)) OR id = \(byID)
                """).first.map(Self.record)
        }
    }

    public func forTenant(_ tenantID: String) async throws -> [APIKeyRecord] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, key_alias, role, tenant_id, models, expires_at, created_at, created_by
                FROM api_keys WHERE tenant_id = \(tenantID) ORDER BY created_at
                """).map(Self.record)
        }
    }

    /// Deletes keys; `allow` sees each first and may refuse. All or nothing.
    public func delete(records: [APIKeyRecord], actor: String?) async throws {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            for record in records {
                try connection.query("DELETE FROM api_keys WHERE id = \(record.id)")
            }
        }
    }

    static func record(_ row: PostgresRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.decode(UUID.self, "id"),
            alias: try row.decode(String?.self, "key_alias"),
            role: Principal.Role(rawValue: try row.decode(String.self, "role")) ?? .tenantMember,
            tenantID: try row.decode(String?.self, "tenant_id"),
            models: try row.decode(PostgresTextArray?.self, "models")?.elements,
            expiresAt: try row.decode(Date?.self, "expires_at"),
            createdAt: try row.decode(Date?.self, "created_at"),
            createdBy: try row.decode(String?.self, "created_by"))
    }
}
