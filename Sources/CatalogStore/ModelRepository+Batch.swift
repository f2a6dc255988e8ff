import Catalog
import Postgres

extension ModelRepository {
    /// Writes of models inside one transaction: `ModelRepository.batch` hands one to its body,
    /// which makes any number of writes through it, all committed together or none. Each write is
    /// the one the single-model methods make (the same secret split, quota, credential rule and
    /// tombstones), so a write means the same thing alone or in a batch.
    public struct Batch {
        let connection: PostgresConnection
        let actor: String?
        let quota: ModelQuota.Enforcement
        let secretKey: SecretKey?

        /// As `ModelRepository.insert`.
        public func insert(_ deployment: Deployment) throws -> Deployment {
            try ModelRepository.insert(deployment, actor: actor, quota: quota, secretKey: secretKey, on: connection)
        }

        /// As `ModelRepository.update`.
        public func update(id: String, _ change: (Deployment) throws -> Deployment) throws -> Deployment {
            try ModelRepository.update(id: id, actor: actor, quota: quota, secretKey: secretKey, on: connection, change)
        }

        /// `model_info` as a read shows `deployment` now (its prices and limits filled in from the
        /// cost map and the overrides), for telling an echo from a change (`ModelInput.update`).
        public func shown(_ deployment: Deployment) throws -> [String: JSONValue] {
            let costMap = try CostMapRepository.entries(for: CostMapLookup.candidateKeys(for: deployment), on: connection)
            return ModelInfoEnrichment.enrich(deployment, costMap: costMap)
        }

        /// As `ModelRepository.delete`.
        public func delete(id: String, allow: (Deployment) throws -> Void) throws -> Deployment {
            try ModelRepository.delete(id: id, actor: actor, allow: allow, on: connection)
        }
    }

    /// Runs `body` with a `Batch` in one transaction: every write it makes commits together (one
    /// contiguous run of change-log positions), or, when it throws, none does.
    public func batch<T: Sendable>(actor: String?, quota: ModelQuota.Enforcement = .none,
                                   _ body: @escaping @Sendable (Batch) throws -> T) async throws -> T {
        try await pool.transaction { [secretKey] connection in
            try Self.setActor(actor, on: connection)
            return try body(Batch(connection: connection, actor: actor, quota: quota, secretKey: secretKey))
        }
    }
}
