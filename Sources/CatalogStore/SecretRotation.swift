import Catalog
import Postgres

/// Re-seals every sealed secret under a new key, in one transaction: either all rows move to the
/// new key or none does.
public enum SecretRotation {
    /// Returns how many models' secrets were re-sealed.
    public static func rotate(on pool: PostgresConnectionPool, from old: SecretKey, to new: SecretKey) async throws -> Int {
        try await pool.transaction { connection in
            try ModelRepository.setActor("secrets-rotate", on: connection)
            let rows = try connection.query("SELECT model_id, sealed, key_id FROM model_secrets ORDER BY model_id FOR UPDATE")
            for row in rows {
                let id = try row.decode(String.self, "model_id")
                let keyID = try row.decode(String.self, "key_id")
                guard keyID == old.id || keyID == new.id else {
                    throw CatalogError.invalid(field: "CATALOG_SECRET_KEY", message: "model \(id) was sealed by another key than the current one")
                }
                let sealed = try row.decode(PostgresBytes.self, "sealed").bytes
                let secrets = keyID == new.id
                    ? try new.open(secrets: sealed, modelID: id)
                    : try old.open(secrets: sealed, modelID: id)
                try ModelRepository.writeSecrets((try new.seal(secrets, modelID: id), new.id), modelID: id, on: connection)
            }
            return rows.count
        }
    }
}
