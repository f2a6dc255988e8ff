import Catalog
import Crypto
import Foundation
import Postgres

/// What a write sets on a key (the policy has bounded it already).
public struct KeyFields: Sendable, Hashable {
    public var alias: String?
    public var role: Principal.Role
    public var tenantID: String?
    public var models: [String]?
    public var expiresAt: Date?
    public var aliases: [String: String]

    public init(alias: String?, role: Principal.Role, tenantID: String?, models: [String]?, expiresAt: Date?,
                aliases: [String: String] = [:]) {
        self.alias = alias
        self.role = role
        self.tenantID = tenantID
        self.models = models
        self.expiresAt = expiresAt
        self.aliases = aliases
    }

    public init(_ record: APIKeyRecord) {
        self.init(alias: record.alias, role: record.role, tenantID: record.tenantID, models: record.models,
                  expiresAt: record.expiresAt, aliases: record.aliases)
    }
}

/// The `api_keys` table. Every key is read with its team's allow-list (`tenants.models`), which
/// narrows what the key may use.
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
                       expiresAt: Date?, aliases: [String: String] = [:], actor: String?) async throws -> APIKeyRecord {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            try Self.requireTeam(tenantID, on: connection)
            let id = try connection.query("""
                INSERT INTO api_keys (key_hash, key_alias, role, tenant_id, models, expires_at, aliases, created_by)
                VALUES (\(Self.digest(keyText)), \(alias), \(role.rawValue), \(tenantID), \(models)::text[], \(expiresAt),
                        \(Self.bind(aliases)), \(actor))
                RETURNING id
                """)[0].decode(UUID.self, "id")
            return try Self.find(id: id, on: connection)!
        }
    }

    /// Changes the key `id` in one transaction: `change` sees the key as it is (locked) and
    /// returns what to store, or throws to refuse. `newKeyText`: also replace the key's text (its
    /// digest), so that the old text stops working with this commit.
    public func update(id: UUID, newKeyText: String? = nil, actor: String?,
                       _ change: @escaping @Sendable (APIKeyRecord) throws -> KeyFields) async throws -> APIKeyRecord {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            guard try !connection.query("SELECT 1 FROM api_keys WHERE id = \(id) FOR UPDATE").isEmpty,
                  let current = try Self.find(id: id, on: connection)
            else { throw CatalogError.notFound(message: "key not found") }
            let fields = try change(current)
            try Self.requireTeam(fields.tenantID, on: connection)
            let digest = newKeyText.map(Self.digest)
            try connection.query("""
                UPDATE api_keys SET key_alias = \(fields.alias), role = \(fields.role.rawValue), tenant_id = \(fields.tenantID),
                       models = \(fields.models)::text[], expires_at = \(fields.expiresAt), aliases = \(Self.bind(fields.aliases)),
                       key_hash = coalesce(\(digest), key_hash), updated_at = now(), updated_by = \(actor)
                WHERE id = \(id)
                """)
            return try Self.find(id: id, on: connection)!
        }
    }

    /// The live key with this text: nil when unknown, deleted or expired.
    public func authenticate(keyText: String) async throws -> APIKeyRecord? {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                       k.aliases, k.updated_at, k.version, t.models AS team_models
                FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
                WHERE k.key_hash = \(Self.digest(keyText)) AND (k.expires_at IS NULL OR k.expires_at > now())
                """).first.map(Self.record)
        }
    }

    /// The key with this text or id, expired or not.
    public func find(keyTextOrID: String) async throws -> APIKeyRecord? {
        try await pool.withConnection { connection in
            let byID = UUID(uuidString: keyTextOrID)
            return try connection.query("""
                SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                       k.aliases, k.updated_at, k.version, t.models AS team_models
                FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
                WHERE k.key_hash = \(Self.digest(keyTextOrID)) OR k.id = \(byID)
                """).first.map(Self.record)
        }
    }

    /// The keys with this alias (LiteLLM's `key_alias`), oldest first.
    public func find(alias: String) async throws -> [APIKeyRecord] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                       k.aliases, k.updated_at, k.version, t.models AS team_models
                FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
                WHERE k.key_alias = \(alias) ORDER BY k.created_at, k.id
                """).map(Self.record)
        }
    }

    public func forTenant(_ tenantID: String) async throws -> [APIKeyRecord] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                       k.aliases, k.updated_at, k.version, t.models AS team_models
                FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
                WHERE k.tenant_id = \(tenantID) ORDER BY k.created_at, k.id
                """).map(Self.record)
        }
    }

    /// Every key, oldest first (callers filter by the policy, then page).
    public func all() async throws -> [APIKeyRecord] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                       k.aliases, k.updated_at, k.version, t.models AS team_models
                FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
                ORDER BY k.created_at, k.id
                """).map(Self.record)
        }
    }

    /// Deletes keys. All or nothing. `expected` (If-Match): every key must still be at a version
    /// it names, checked on its locked row.
    public func delete(records: [APIKeyRecord], expected: VersionPrecondition? = nil, actor: String?) async throws {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            for record in records {
                let rows = try connection.query("DELETE FROM api_keys WHERE id = \(record.id) RETURNING version")
                if let expected, let version = try rows.first?.decode(Int.self, "version") {
                    try expected.check(version: version, of: "key '\(record.token)'")
                }
            }
        }
    }

    static func find(id: UUID, on connection: PostgresConnection) throws -> APIKeyRecord? {
        try connection.query("""
            SELECT k.id, k.key_alias, k.role, k.tenant_id, k.models, k.expires_at, k.created_at, k.created_by,
                   k.aliases, k.updated_at, k.version, t.models AS team_models
            FROM api_keys k LEFT JOIN tenants t ON t.id = k.tenant_id
            WHERE k.id = \(id)
            """).first.map(Self.record)
    }

    private static func requireTeam(_ tenantID: String?, on connection: PostgresConnection) throws {
        if let tenantID, try connection.query("SELECT 1 FROM tenants WHERE id = \(tenantID)").isEmpty {
            throw CatalogError.notFound(message: "team '\(tenantID)' not found")
        }
    }

    static func bind(_ aliases: [String: String]) -> PostgresJSONB {
        JSONColumns.bind(aliases.mapValues(JSONValue.string))
    }

    /// A key row with its team's list (`team_models`, from a join on `tenants`).
    static func record(_ row: PostgresRow) throws -> APIKeyRecord {
        APIKeyRecord(
            id: try row.decode(UUID.self, "id"),
            alias: try row.decode(String?.self, "key_alias"),
            role: Principal.Role(rawValue: try row.decode(String.self, "role")) ?? .tenantMember,
            tenantID: try row.decode(String?.self, "tenant_id"),
            models: try row.decode(PostgresTextArray?.self, "models")?.elements,
            expiresAt: try row.decode(Date?.self, "expires_at"),
            createdAt: try row.decode(Date?.self, "created_at"),
            createdBy: try row.decode(String?.self, "created_by"),
            aliases: try JSONColumns.object(row, "aliases").compactMapValues(\.stringValue),
            teamModels: try row.decode(PostgresTextArray?.self, "team_models")?.elements,
            updatedAt: try row.decode(Date?.self, "updated_at"),
            version: try row.decode(Int.self, "version"))
    }
}
