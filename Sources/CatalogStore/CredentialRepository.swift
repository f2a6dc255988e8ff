import Catalog
import Foundation
import Postgres

/// The `credentials` table and the sealed values beside it (`credential_secrets`): LiteLLM's
/// reusable credentials. Values are sealed with the service's key, bound to the credential's
/// name, and opened only for the service's own use (`values`, the gateway's routing view); the
/// rows above them hold nothing secret.
public struct CredentialRepository: Sendable {
    let pool: StorePool
    /// Seals the values; without one, credentials cannot be stored.
    let secretKey: SecretKey?

    public init(pool: PostgresConnectionPool, secretKey: SecretKey? = nil) {
        self.pool = StorePool(pool)
        self.secretKey = secretKey
    }

    /// Every credential, by name in byte order.
    public func all() async throws -> [Credential] {
        try await pool.withConnection { connection in try Self.all(on: connection) }
    }

    static func all(on connection: PostgresConnection) throws -> [Credential] {
        try connection.query("""
            SELECT name, tenant_id, display_name, info, value_names, version, created_at, updated_at, created_by, updated_by
            FROM credentials ORDER BY name COLLATE "C"
            """).map(credential)
    }

    public func find(name: String) async throws -> Credential? {
        try await pool.withConnection { connection in try Self.find(name: name, on: connection) }
    }

    static func find(name: String, on connection: PostgresConnection, lock: Bool = false) throws -> Credential? {
        let rows = lock
            ? try connection.query("""
                SELECT name, tenant_id, display_name, info, value_names, version, created_at, updated_at, created_by, updated_by
                FROM credentials WHERE name = \(name) FOR UPDATE
                """)
            : try connection.query("""
                SELECT name, tenant_id, display_name, info, value_names, version, created_at, updated_at, created_by, updated_by
                FROM credentials WHERE name = \(name)
                """)
        return try rows.first.map(credential)
    }

    /// Stores a new credential with its values sealed; a taken name is a conflict on `credential_name`.
    public func create(_ credential: Credential, values: [String: JSONValue], actor: String?) async throws -> Credential {
        let sealed = try seal(values, name: credential.name)
        var shown = credential.info
        shown["team_id"] = credential.tenantID.map(JSONValue.string)
        let info = shown
        let names = values.keys.sorted()
        return try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            let created = try Self.credential(try connection.query("""
                INSERT INTO credentials (name, tenant_id, display_name, info, value_names, created_by, updated_by)
                VALUES (\(credential.name), \(credential.tenantID), \(credential.displayName), \(JSONColumns.bind(info)),
                        \(names)::text[], \(actor), \(actor))
                RETURNING name, tenant_id, display_name, info, value_names, version, created_at, updated_at, created_by, updated_by
                """)[0])
            try Self.writeValues(sealed, name: credential.name, on: connection)
            return created
        }
    }

    /// Changes a credential: `change` gets the current row (locked) and its opened values and
    /// returns the new ones, or throws to leave it as it is. One write: every deployment naming
    /// the credential uses the new values from then on. `notFound` when there is no such name.
    public func update(
        name: String, actor: String?,
        _ change: @escaping @Sendable (Credential, [String: JSONValue]) throws -> (Credential, [String: JSONValue])
    ) async throws -> Credential {
        try await pool.transaction { [secretKey] connection in
            try ModelRepository.setActor(actor, on: connection)
            guard let current = try Self.find(name: name, on: connection, lock: true) else {
                throw CatalogError.notFound(message: "credential '\(name)' not found")
            }
            let (updated, values) = try change(current, try Self.openValues(name: name, key: secretKey, on: connection))
            try Self.writeValues(try Self.seal(values, name: name, key: secretKey), name: name, on: connection)
            return try Self.credential(try connection.query("""
                UPDATE credentials SET display_name = \(updated.displayName), info = \(JSONColumns.bind(updated.info)),
                       value_names = \(values.keys.sorted())::text[], updated_at = now(), updated_by = \(actor)
                WHERE name = \(name)
                RETURNING name, tenant_id, display_name, info, value_names, version, created_at, updated_at, created_by, updated_by
                """)[0])
        }
    }

    /// A deployment that names a credential, as the "still in use" answer needs it.
    public struct User: Sendable, Hashable {
        public var id: String
        public var tenantID: String?
        public var modelName: String
    }

    /// Deletes a credential. `allow` sees it first and may throw to refuse; while deployments
    /// still name it the delete is refused (409) unless `force`, and `describe` words the refusal
    /// from the users (so that it names only those its caller may see).
    public func delete(
        name: String, force: Bool, actor: String?,
        allow: @escaping @Sendable (Credential) throws -> Void,
        describe: @escaping @Sendable ([User]) -> String
    ) async throws -> Credential {
        try await pool.transaction { connection in
            try ModelRepository.setActor(actor, on: connection)
            guard let current = try Self.find(name: name, on: connection, lock: true) else {
                throw CatalogError.notFound(message: "credential '\(name)' not found")
            }
            try allow(current)
            let users = try Self.users(of: name, on: connection)
            if !users.isEmpty && !force {
                throw CatalogError.conflict(field: "credential_name", message: describe(users))
            }
            try connection.query("DELETE FROM credentials WHERE name = \(name)")
            return current
        }
    }

    /// The deployments naming `name`, in catalog order.
    public func users(of name: String) async throws -> [User] {
        try await pool.withConnection { connection in try Self.users(of: name, on: connection) }
    }

    static func users(of name: String, on connection: PostgresConnection) throws -> [User] {
        try connection.query("""
            SELECT id, tenant_id, model_name FROM models
            WHERE litellm_params ? 'litellm_credential_name' AND litellm_params ->> 'litellm_credential_name' = \(name)
            ORDER BY ordinal
            """).map { User(id: try $0.decode(String.self, "id"), tenantID: try $0.decode(String?.self, "tenant_id"),
                            modelName: try $0.decode(String.self, "model_name")) }
    }

    /// The values of the credential `name`, opened: for the service's own use, never shown.
    /// Nil when there is no such credential.
    public func values(name: String) async throws -> [String: JSONValue]? {
        try await pool.withConnection { [secretKey] connection in
            guard try Self.find(name: name, on: connection) != nil else { return nil }
            return try Self.openValues(name: name, key: secretKey, on: connection)
        }
    }

    /// The values `deployment` uses through `litellm_params.litellm_credential_name`, opened;
    /// nil when it names none, or one its team may not use (a row written with plain SQL is held
    /// to the same rule as the API), or one that no longer exists.
    public func values(for deployment: Deployment) async throws -> [String: JSONValue]? {
        guard let name = try? Credential.named(in: deployment.litellmParams) else { return nil }
        return try await pool.withConnection { [secretKey] connection in
            guard let credential = try Self.find(name: name, on: connection),
                  AccessPolicy.mayUse(credentialOf: credential.tenantID, inModelOf: deployment.tenantID)
            else { return nil }
            return try Self.openValues(name: name, key: secretKey, on: connection)
        }
    }

    /// Throws unless the deployment `params` of `modelTenant` names no credential or one its team
    /// may use (`AccessPolicy.checkCredentialUse`). Locks the credential's row against a
    /// concurrent delete until the transaction ends.
    static func checkUse(params: [String: JSONValue], modelTenant: String?, on connection: PostgresConnection) throws {
        guard let name = try Credential.named(in: params) else { return }
        let owner = try connection.query("SELECT tenant_id FROM credentials WHERE name = \(name) FOR SHARE").first
            .map { Credential.Owner(tenant: try $0.decode(String?.self, "tenant_id")) }
        try AccessPolicy.checkCredentialUse(name, credential: owner, modelTenant: modelTenant)
    }

    func seal(_ values: [String: JSONValue], name: String) throws -> (sealed: [UInt8], keyID: String) {
        try Self.seal(values, name: name, key: secretKey)
    }

    static func seal(_ values: [String: JSONValue], name: String, key: SecretKey?) throws -> (sealed: [UInt8], keyID: String) {
        guard let key else {
            throw CatalogError.invalid(
                field: "credential_values",
                message: "credential_values can only be stored when the service has a secret key (CATALOG_SECRET_KEY), which seals them")
        }
        return (try key.seal(credentialValues: values, name: name), key.id)
    }

    static func writeValues(_ sealed: (sealed: [UInt8], keyID: String), name: String, on connection: PostgresConnection) throws {
        try connection.query("""
            INSERT INTO credential_secrets (credential_name, sealed, key_id) VALUES (\(name), \(PostgresBytes(sealed.sealed)), \(sealed.keyID))
            ON CONFLICT (credential_name) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, updated_at = now()
            """)
    }

    static func openValues(name: String, key: SecretKey?, on connection: PostgresConnection) throws -> [String: JSONValue] {
        guard let row = try connection.query("SELECT sealed FROM credential_secrets WHERE credential_name = \(name)").first else { return [:] }
        return try openValues(try row.decode(PostgresBytes.self, "sealed").bytes, name: name, key: key)
    }

    /// The values `sealed` for the credential `name`, opened; a missing or wrong key is
    /// unavailable (503), in words that name no secret.
    static func openValues(_ sealed: [UInt8], name: String, key: SecretKey?) throws -> [String: JSONValue] {
        guard let key else { throw CatalogError.unavailable(message: SecretKeyError.missing.description) }
        do {
            return try key.open(credentialValues: sealed, name: name)
        } catch {
            throw CatalogError.unavailable(message: SecretKeyError.cannotOpen.description)
        }
    }

    static func credential(_ row: PostgresRow) throws -> Credential {
        Credential(
            name: try row.decode(String.self, "name"), tenantID: try row.decode(String?.self, "tenant_id"),
            displayName: try row.decode(String?.self, "display_name"), info: try JSONColumns.object(row, "info"),
            valueNames: try row.decode(PostgresTextArray.self, "value_names").elements,
            version: try row.decode(Int.self, "version"),
            createdAt: try row.decode(Date?.self, "created_at"), updatedAt: try row.decode(Date?.self, "updated_at"),
            createdBy: try row.decode(String?.self, "created_by"), updatedBy: try row.decode(String?.self, "updated_by"))
    }
}
