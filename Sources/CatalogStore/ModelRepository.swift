import Catalog
import Foundation
import Postgres

/// The `models` table: deployments, read and written with parameterised queries only.
public struct ModelRepository: Sendable {
    let pool: StorePool
    /// Seals literal secrets; without one, storing a literal secret is refused.
    let secretKey: SecretKey?

    public init(pool: PostgresConnectionPool, secretKey: SecretKey? = nil) {
        self.pool = StorePool(pool)
        self.secretKey = secretKey
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

    /// Stores a new deployment, its literal secrets sealed apart; a duplicate id is a conflict on
    /// `model_info.id`; a credential it names must be one its team may use (400 naming the field). Returns the stored form (secrets replaced by the placeholder). `quota`:
    /// the limits the writer is held to, checked in the same transaction.
    public func insert(_ deployment: Deployment, actor: String?, quota: ModelQuota.Enforcement = .none) async throws -> Deployment {
        try await pool.transaction { [secretKey] connection in
            try Self.setActor(actor, on: connection)
            return try Self.insert(deployment, actor: actor, quota: quota, secretKey: secretKey, on: connection)
        }
    }

    /// `configHash`: the config entry the row stands for (a restored config model's), so that a
    /// reload of the same file finds it unchanged.
    static func insert(
        _ deployment: Deployment, actor: String?, quota: ModelQuota.Enforcement, secretKey: SecretKey?,
        configHash: String? = nil, on connection: PostgresConnection
    ) throws -> Deployment {
        let (stored, secrets) = try SecretSplit.split(deployment)
        let sealed = try Self.seal(secrets, modelID: deployment.id, key: secretKey)
        try QuotaCounting.lockTenant(deployment.tenantID, quota, on: connection)
        try CredentialRepository.checkUse(params: deployment.litellmParams, modelTenant: deployment.tenantID, on: connection)
        let row = try connection.query("""
            INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source, config_hash, created_by, updated_by)
            VALUES (\(deployment.id), \(deployment.tenantID), \(deployment.modelName),
                    \(JSONColumns.bind(stored.litellmParams)), \(JSONColumns.bind(stored.modelInfo)),
                    \(deployment.source.rawValue), \(configHash), \(actor), \(actor))
            RETURNING id, tenant_id, model_name, litellm_params, model_info, version, source,
                      created_at, updated_at, created_by, updated_by
            """)[0]
        try Self.writeSecrets(sealed, modelID: deployment.id, on: connection)
        try QuotaCounting.check(modelID: deployment.id, tenant: deployment.tenantID, quota, on: connection)
        return try Self.deployment(row)
    }

    /// Brings the model `id` back to the state its history holds at `version`, as a new change
    /// (a new version; the log records `actor`): an update when the model exists, an insert when
    /// it was deleted. `restore` gets that state and the model as it is now (locked; nil when
    /// deleted) and returns what to store, or throws to refuse (`ModelRestore` is the rule).
    /// A state's secrets are placeholders, kept or refused by the split as for any update.
    public func restore(
        id: String, version: Int, actor: String?, quota: ModelQuota.Enforcement = .none,
        _ restore: @escaping @Sendable (_ earlier: Deployment, _ current: Deployment?) throws -> Deployment
    ) async throws -> Deployment {
        try await pool.transaction { [secretKey] connection in
            try Self.setActor(actor, on: connection)
            guard let earlier = try HistoryRepository.state(modelID: id, version: version, on: connection) else {
                throw ModelRestore.missing(id, version: version)
            }
            // `update` reads and locks the row itself; this only says which path to take.
            if try !connection.query("SELECT 1 FROM models WHERE id = \(id) FOR UPDATE").isEmpty {
                return try Self.update(id: id, actor: actor, quota: quota, secretKey: secretKey, on: connection) { current in
                    try restore(earlier, current)
                }
            }
            // A config model deleted through the API left a tombstone so that the file would not
            // bring it back; restored, it stands for that entry again, as before its delete.
            let tombstone = try connection.query("DELETE FROM config_tombstones WHERE id = \(id) RETURNING config_hash")
            return try Self.insert(try restore(earlier, nil), actor: actor, quota: quota, secretKey: secretKey,
                                   configHash: try tombstone.first?.decode(String.self, "config_hash"), on: connection)
        }
    }

    /// Changes a deployment: `change` gets the current row (locked) and returns the new one, or
    /// throws to leave it as it is. Throws `notFound` when there is no such id. `quota`: the
    /// limits the writer is held to, checked on the changed row in the same transaction.
    public func update(
        id: String, actor: String?, quota: ModelQuota.Enforcement = .none,
        _ change: @escaping @Sendable (Deployment) throws -> Deployment
    ) async throws -> Deployment {
        try await pool.transaction { [secretKey] connection in
            try Self.setActor(actor, on: connection)
            return try Self.update(id: id, actor: actor, quota: quota, secretKey: secretKey, on: connection, change)
        }
    }

    /// Changes several deployments in one transaction (all or nothing), each as `update` changes
    /// one, in the order given: an access group's tagging is one change of the catalog.
    public func updateEach(
        ids: [String], actor: String?, quota: ModelQuota.Enforcement = .none,
        _ change: @escaping @Sendable (Deployment) throws -> Deployment
    ) async throws -> [Deployment] {
        try await pool.transaction { [secretKey] connection in
            try Self.setActor(actor, on: connection)
            return try ids.map { id in try Self.update(id: id, actor: actor, quota: quota, secretKey: secretKey, on: connection, change) }
        }
    }

    static func update(
        id: String, actor: String?, quota: ModelQuota.Enforcement, secretKey: SecretKey?, on connection: PostgresConnection,
        _ change: (Deployment) throws -> Deployment
    ) throws -> Deployment {
        let rows = try connection.query("""
            SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                   created_at, updated_at, created_by, updated_by,
                   octet_length(litellm_params::text) + octet_length(model_info::text) AS stored_bytes
            FROM models WHERE id = \(id) FOR UPDATE
            """)
        guard let row = rows.first else { throw CatalogError.notFound(message: "model '\(id)' not found") }
        let previous = try Self.openSecrets(modelID: id, key: secretKey, on: connection)
        let current = SecretSplit.merge(try Self.deployment(row), secrets: previous)
        // Measured as `QuotaCounting` measures, in the same read that locks the row.
        let previousBytes = quota == .none ? nil : try row.decode(Int.self, "stored_bytes")
        let updated = try change(current)
        // Checked on the model as it will be: a move to another team must keep the rule too.
        try CredentialRepository.checkUse(params: updated.litellmParams, modelTenant: updated.tenantID, on: connection)
        let (stored, secrets) = try SecretSplit.split(updated, previous: current)
        try Self.writeSecrets(try Self.seal(secrets, modelID: id, key: secretKey), modelID: id, on: connection)
        try QuotaCounting.lockTenant(updated.tenantID, quota, on: connection)
        let changed = try Self.deployment(try connection.query("""
            UPDATE models SET tenant_id = \(updated.tenantID), model_name = \(updated.modelName),
                   litellm_params = \(JSONColumns.bind(stored.litellmParams)),
                   model_info = \(JSONColumns.bind(stored.modelInfo)),
                   updated_at = now(), updated_by = \(actor)
            WHERE id = \(id)
            RETURNING id, tenant_id, model_name, litellm_params, model_info, version, source,
                      created_at, updated_at, created_by, updated_by
            """)[0])
        try QuotaCounting.check(modelID: id, tenant: updated.tenantID,
                                previous: previousBytes.map { (current.tenantID, $0) }, quota, on: connection)
        return changed
    }

    /// Deletes a deployment and returns it. `allow` sees it first and may throw to refuse.
    /// Deleting a config model leaves a tombstone, so that a restart with the same config entry
    /// does not bring it back.
    public func delete(
        id: String, actor: String?, allow: @escaping @Sendable (Deployment) throws -> Void = { _ in }
    ) async throws -> Deployment {
        try await pool.transaction { connection in
            try Self.setActor(actor, on: connection)
            return try Self.delete(id: id, actor: actor, allow: allow, on: connection)
        }
    }

    static func delete(id: String, actor: String?, allow: (Deployment) throws -> Void, on connection: PostgresConnection) throws -> Deployment {
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

    /// The literal secrets sealed for a model, opened (for the service's own use; never shown).
    public func secrets(id: String) async throws -> SecretSplit.Secrets {
        try await pool.withConnection { [secretKey] connection in
            try Self.openSecrets(modelID: id, key: secretKey, on: connection)
        }
    }

    /// Seals `secrets`, or refuses them when no key is configured. Nil when there is nothing to seal.
    static func seal(_ secrets: SecretSplit.Secrets, modelID: String, key: SecretKey?) throws -> (sealed: [UInt8], keyID: String)? {
        guard !secrets.isEmpty else { return nil }
        guard let key else {
            let path = (secrets.litellmParams.keys.map { SecretSplit.fieldName($0) }.sorted()
                + secrets.modelInfo.keys.map { SecretSplit.fieldName($0, document: .modelInfo) }.sorted()).first ?? "litellm_params"
            throw CatalogError.invalid(
                field: path,
                message: "\(path) holds a literal secret, which can only be stored when the service has a secret key (CATALOG_SECRET_KEY); reference it as os.environ/NAME instead")
        }
        return (try key.seal(secrets, modelID: modelID), key.id)
    }

    /// Replaces (or removes) the sealed secrets of a model.
    static func writeSecrets(_ sealed: (sealed: [UInt8], keyID: String)?, modelID: String, on connection: PostgresConnection) throws {
        guard let sealed else {
            try connection.query("DELETE FROM model_secrets WHERE model_id = \(modelID)")
            return
        }
        try connection.query("""
            INSERT INTO model_secrets (model_id, sealed, key_id) VALUES (\(modelID), \(PostgresBytes(sealed.sealed)), \(sealed.keyID))
            ON CONFLICT (model_id) DO UPDATE SET sealed = EXCLUDED.sealed, key_id = EXCLUDED.key_id, updated_at = now()
            """)
    }

    /// The model's sealed secrets, opened; empty when it has none.
    static func openSecrets(modelID: String, key: SecretKey?, on connection: PostgresConnection) throws -> SecretSplit.Secrets {
        guard let row = try connection.query("SELECT sealed FROM model_secrets WHERE model_id = \(modelID)").first else { return .init() }
        return try openSecrets(try row.decode(PostgresBytes.self, "sealed").bytes, modelID: modelID, key: key)
    }

    /// The secrets `sealed` for the model `modelID`, opened; a missing or wrong key is unavailable
    /// (503), in words that name no secret.
    static func openSecrets(_ sealed: [UInt8], modelID: String, key: SecretKey?) throws -> SecretSplit.Secrets {
        guard let key else { throw CatalogError.unavailable(message: SecretKeyError.missing.description) }
        do {
            return try key.open(secrets: sealed, modelID: modelID)
        } catch {
            throw CatalogError.unavailable(message: SecretKeyError.cannotOpen.description)
        }
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
