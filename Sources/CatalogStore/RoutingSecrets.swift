import Catalog
import Foundation
import Postgres

/// The routing view's secrets (`RoutingView`): opens the sealed secrets of models, and the values
/// of the credentials they name, for a gateway key's snapshot, changes or stream.
///
/// Never cached and never logged: every call reads and opens afresh, so a rotated secret or a
/// deleted credential is never served from memory, and opened values live only in the answer.
public struct RoutingSecrets: Sendable {
    let pool: StorePool
    /// Opens the sealed secrets; without one, a model with sealed secrets is unavailable (503).
    let secretKey: SecretKey?

    public init(pool: PostgresConnectionPool, secretKey: SecretKey? = nil) {
        self.pool = StorePool(pool)
        self.secretKey = secretKey
    }

    /// The routing view's `litellm_params` of each of `deployments` that still exists, by model id
    /// (byte-exact): two queries whatever their number, one for the models and their sealed
    /// secrets, one for the credentials they name.
    ///
    /// Each entry is built from the model's row as it is now, read in the same statement as its
    /// sealed secrets (so that every secret goes back where the row shows its placeholder), not
    /// from `deployments` themselves (a snapshot holds them redacted). A model is left out when it
    /// was deleted since, or when its team, name or access groups are no longer those of the
    /// deployment given: the caller decided from those who may see it, and the change on the log
    /// brings its new state. A credential is resolved only when the model's team may use it
    /// (`AccessPolicy.mayUse`), as for writes, so that a row written with plain SQL opens nothing
    /// of another team.
    public func routingParams(for deployments: [Deployment]) async throws -> [ExactID: [String: JSONValue]] {
        guard !deployments.isEmpty else { return [:] }
        let given = Dictionary(deployments.map { (ExactID($0.id), $0) }, uniquingKeysWith: { first, _ in first })
        let ids = deployments.map(\.id)
        return try await pool.withConnection { [secretKey] connection in
            var models: [(stored: Deployment, secrets: SecretSplit.Secrets)] = []
            for row in try connection.query("""
                SELECT m.id, m.tenant_id, m.model_name, m.litellm_params, m.model_info, m.version, m.source,
                       m.created_at, m.updated_at, m.created_by, m.updated_by, s.sealed
                FROM models m LEFT JOIN model_secrets s ON s.model_id = m.id
                WHERE m.id = ANY(\(ids))
                """) {
                let stored = try ModelRepository.deployment(row)
                guard let asked = given[ExactID(stored.id)], Self.sameReaders(stored, asked) else { continue }
                let sealed = try row.decode(PostgresBytes?.self, "sealed")
                let secrets = try sealed.map { try ModelRepository.openSecrets($0.bytes, modelID: stored.id, key: secretKey) } ?? .init()
                models.append((stored, secrets))
            }
            let named = models.compactMap { try? Credential.named(in: $0.stored.litellmParams) }
            let credentials = try Self.credentials(named: named, key: secretKey, on: connection)
            var params: [ExactID: [String: JSONValue]] = [:]
            for (stored, secrets) in models {
                let values = (try? Credential.named(in: stored.litellmParams))
                    .flatMap { credentials[ExactID($0)] }
                    .flatMap { AccessPolicy.mayUse(credentialOf: $0.tenant, inModelOf: stored.tenantID) ? $0.values : nil }
                params[ExactID(stored.id)] = RoutingView.litellmParams(of: stored, secrets: secrets, credentialValues: values)
            }
            return params
        }
    }

    /// Whether the row read now would be seen by the same keys as the deployment the caller gave.
    static func sameReaders(_ stored: Deployment, _ asked: Deployment) -> Bool {
        ExactID.same(stored.tenantID, asked.tenantID) && ExactID(stored.modelName) == ExactID(asked.modelName)
            && stored.accessGroups.map { ExactID($0) } == asked.accessGroups.map { ExactID($0) }
    }

    /// The credentials `names`, each with its team and its values opened (in one query).
    static func credentials(named names: [String], key: SecretKey?, on connection: PostgresConnection) throws
        -> [ExactID: (tenant: String?, values: [String: JSONValue])]
    {
        guard !names.isEmpty else { return [:] }
        var found: [ExactID: (tenant: String?, values: [String: JSONValue])] = [:]
        for row in try connection.query("""
            SELECT c.name, c.tenant_id, s.sealed
            FROM credentials c LEFT JOIN credential_secrets s ON s.credential_name = c.name
            WHERE c.name = ANY(\(Set(names.map { ExactID($0) }).map(\.text)))
            """) {
            let name = try row.decode(String.self, "name")
            let values = try row.decode(PostgresBytes?.self, "sealed").map { try CredentialRepository.openValues($0.bytes, name: name, key: key) } ?? [:]
            found[ExactID(name)] = (try row.decode(String?.self, "tenant_id"), values)
        }
        return found
    }
}
