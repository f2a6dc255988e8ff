import Catalog
import Postgres

/// Re-seals every sealed secret (of models, of teams' metadata and of credentials) under a new key, in one
/// transaction: either all rows move to the new key or none does.
public enum SecretRotation {
    /// Returns how many models', teams' and credentials' secrets were re-sealed.
    public static func rotate(on pool: PostgresConnectionPool, from old: SecretKey, to new: SecretKey) async throws -> Int {
        try await pool.transaction { connection in
            try ModelRepository.setActor("secrets-rotate", on: connection)
            let models = try connection.query("SELECT model_id AS id, sealed, key_id FROM model_secrets ORDER BY model_id FOR UPDATE")
            for row in models {
                let id = try row.decode(String.self, "id")
                let secrets = try open(row, by: [old, new], what: "model \(id)") { try $0.open(secrets: $1, modelID: id) }
                try ModelRepository.writeSecrets((try new.seal(secrets, modelID: id), new.id), modelID: id, on: connection)
            }
            let tenants = try connection.query("SELECT tenant_id AS id, sealed, key_id FROM tenant_secrets ORDER BY tenant_id FOR UPDATE")
            for row in tenants {
                let id = try row.decode(String.self, "id")
                let secrets = try open(row, by: [old, new], what: "team \(id)") { try $0.open(metadata: $1, tenantID: id) }
                try TenantRepository.writeSecrets((try new.seal(metadata: secrets, tenantID: id), new.id), tenantID: id, on: connection)
            }
            let credentials = try connection.query(
                "SELECT credential_name AS id, sealed, key_id FROM credential_secrets ORDER BY credential_name FOR UPDATE")
            for row in credentials {
                let name = try row.decode(String.self, "id")
                let values = try open(row, by: [old, new], what: "credential \(name)") { try $0.open(credentialValues: $1, name: name) }
                try CredentialRepository.writeValues((try new.seal(credentialValues: values, name: name), new.id), name: name, on: connection)
            }
            return models.count + tenants.count + credentials.count
        }
    }

    /// Opens a sealed row with whichever of `keys` sealed it; another key is refused.
    static func open<T>(_ row: PostgresRow, by keys: [SecretKey], what: String, _ open: (SecretKey, [UInt8]) throws -> T) throws -> T {
        let keyID = try row.decode(String.self, "key_id")
        guard let key = keys.first(where: { $0.id == keyID }) else {
            throw CatalogError.invalid(field: "CATALOG_SECRET_KEY", message: "\(what) was sealed by another key than the current one")
        }
        return try open(key, try row.decode(PostgresBytes.self, "sealed").bytes)
    }
}
