import Catalog
import Foundation
import Postgres

/// A tenant: what LiteLLM calls a team.
public struct Tenant: Sendable, Hashable {
    public var id: String
    public var alias: String?
    public var metadata: [String: JSONValue]
    /// The team's model allow-list (LiteLLM's team `models`); empty: no restriction.
    public var models: [String]
    public var createdAt: Date?
    public var updatedAt: Date?
    /// The stored version, given by the database on every write: what the team's ETag is made of.
    public var version: Int

    public init(id: String, alias: String?, metadata: [String: JSONValue] = [:], models: [String] = [],
                createdAt: Date? = nil, updatedAt: Date? = nil, version: Int = 1) {
        self.id = id
        self.alias = alias
        self.metadata = metadata
        self.models = models
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }
}

/// The `tenants` table. Literal secrets of a team's metadata (by the redaction rule) are sealed
/// apart in `tenant_secrets`, as a model's are; `metadata` keeps the placeholder in their place.
public struct TenantRepository: Sendable {
    let pool: StorePool
    /// Seals literal secrets; without one, storing a literal secret is refused.
    let secretKey: SecretKey?

    public init(pool: PostgresConnectionPool, secretKey: SecretKey? = nil) {
        self.pool = StorePool(pool)
        self.secretKey = secretKey
    }

    /// Stores a new team; returns its stored form (secrets of its metadata replaced by the placeholder).
    public func create(_ tenant: Tenant, actor: String?) async throws -> Tenant {
        let (stored, secrets) = try SecretSplit.split(tenant.metadata, document: .metadata)
        let sealed = try Self.seal(secrets, tenantID: tenant.id, key: secretKey)
        return try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            let created = try Self.tenant(try connection.query("""
                INSERT INTO tenants (id, alias, metadata, models, created_by, updated_by)
                VALUES (\(tenant.id), \(tenant.alias), \(JSONColumns.bind(stored)), \(tenant.models)::text[], \(actor), \(actor))
                RETURNING id, alias, metadata, models, version, created_at, updated_at
                """)[0])
            try Self.writeSecrets(sealed, tenantID: tenant.id, on: connection)
            return created
        }
    }

    /// Changes the team `id` in one transaction: `change` sees the team as stored (locked; its
    /// metadata's secrets as the placeholder) and returns what to store, or throws to refuse.
    /// A metadata value sent as the placeholder keeps the sealed secret at its path, as for models,
    /// and a secret never shown (`api_key`) is kept unless sent as null.
    public func update(id: String, actor: String?, _ change: @escaping @Sendable (Tenant) throws -> Tenant) async throws -> Tenant {
        try await pool.transaction { [secretKey] connection in
            try ModelRepository.setActor(actor, on: connection)
            guard let row = try connection.query("""
                SELECT id, alias, metadata, models, version, created_at, updated_at FROM tenants WHERE id = \(id) FOR UPDATE
                """).first else { throw CatalogError.notFound(message: "team '\(id)' not found") }
            let current = try Self.tenant(row)
            let updated = try change(current)
            var stored = current.metadata
            if updated.metadata != current.metadata {
                // Only a changed metadata is split again; an unchanged one keeps its sealed row.
                let previous = SecretSplit.merge(current.metadata, secrets: try Self.openSecrets(id: id, key: secretKey, on: connection))
                // Secrets that are never shown (dropped, as `api_key`) cannot be sent back: a new
                // metadata without them keeps them; an explicit null removes one.
                var metadata = updated.metadata
                for (name, value) in previous where Redaction.isDroppedKey(name) && metadata[name] == nil { metadata[name] = value }
                metadata = metadata.filter { !($0.value.isNull && Redaction.isDroppedKey($0.key)) }
                let split = try SecretSplit.split(metadata, document: .metadata, previous: previous)
                stored = split.stored
                try Self.writeSecrets(try Self.seal(split.secrets, tenantID: id, key: secretKey), tenantID: id, on: connection)
            }
            return try Self.tenant(try connection.query("""
                UPDATE tenants SET alias = \(updated.alias), metadata = \(JSONColumns.bind(stored)), models = \(updated.models)::text[],
                       updated_at = now(), updated_by = \(actor)
                WHERE id = \(id)
                RETURNING id, alias, metadata, models, version, created_at, updated_at
                """)[0])
        }
    }

    /// The literal secrets sealed for a team's metadata, opened (for the service's own use; never shown).
    public func secrets(id: String) async throws -> [SecretSplit.Path: JSONValue] {
        try await pool.withConnection { [secretKey] connection in try Self.openSecrets(id: id, key: secretKey, on: connection) }
    }

    static func openSecrets(id: String, key secretKey: SecretKey?, on connection: PostgresConnection) throws -> [SecretSplit.Path: JSONValue] {
        guard let row = try connection.query("SELECT sealed FROM tenant_secrets WHERE tenant_id = \(id)").first else { return [:] }
        guard let secretKey else { throw CatalogError.unavailable(message: SecretKeyError.missing.description) }
        do {
            return try secretKey.open(metadata: try row.decode(PostgresBytes.self, "sealed").bytes, tenantID: id)
        } catch {
            throw CatalogError.unavailable(message: SecretKeyError.cannotOpen.description)
        }
    }

    /// Seals `secrets`, or refuses them when no key is configured. Nil when there is nothing to seal.
    static func seal(_ secrets: [SecretSplit.Path: JSONValue], tenantID: String, key: SecretKey?) throws -> (sealed: [UInt8], keyID: String)? {
        guard !secrets.isEmpty else { return nil }
        guard let key else {
            let path = secrets.keys.map { SecretSplit.fieldName($0, document: .metadata) }.sorted().first ?? "metadata"
            throw CatalogError.invalid(
                field: path,
                message: "\(path) holds a literal secret, which can only be stored when the service has a secret key (CATALOG_SECRET_KEY); reference it as os.environ/NAME instead")
        }
        return (try key.seal(metadata: secrets, tenantID: tenantID), key.id)
    }

    /// Replaces (or removes) the sealed secrets of a team.
    static func writeSecrets(_ sealed: (sealed: [UInt8], keyID: String)?, tenantID: String, on connection: PostgresConnection) throws {
        guard let sealed else {
            try connection.query("DELETE FROM tenant_secrets WHERE tenant_id = \(tenantID)")
            return
        }
        try connection.query("""
            INSERT INTO tenant_secrets (tenant_id, sealed, key_id) VALUES (\(tenantID), \(PostgresBytes(sealed.sealed)), \(sealed.keyID))
            ON CONFLICT (tenant_id) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, updated_at = now()
            """)
    }

    public func all() async throws -> [Tenant] {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, alias, metadata, models, version, created_at, updated_at FROM tenants ORDER BY created_at, id").map(Self.tenant)
        }
    }

    public func find(id: String) async throws -> Tenant? {
        try await pool.withConnection { connection in
            try connection.query("SELECT id, alias, metadata, models, version, created_at, updated_at FROM tenants WHERE id = \(id)").first.map(Self.tenant)
        }
    }

    /// Deletes teams with their keys. Refused while a team still has models, unless `force`, which
    /// deletes those models too. All or nothing.
    /// `expected` (If-Match): every team must still be at a version it names, checked on its locked row.
    public func delete(ids: [String], force: Bool, expected: VersionPrecondition? = nil, actor: String?) async throws -> [String] {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            for id in ids {
                guard let row = try connection.query("SELECT version FROM tenants WHERE id = \(id) FOR UPDATE").first else {
                    throw CatalogError.notFound(message: "team '\(id)' not found")
                }
                try expected?.check(version: try row.decode(Int.self, "version"), of: "team '\(id)'")
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
               metadata: try JSONColumns.object(row, "metadata"),
               models: try row.decode(PostgresTextArray?.self, "models")?.elements ?? [],
               createdAt: try row.decode(Date?.self, "created_at"), updatedAt: try row.decode(Date?.self, "updated_at"),
               version: try row.decode(Int.self, "version"))
    }
}
