import Catalog
import CatalogStore

/// Where read endpoints get the catalog from. Today every request queries PostgreSQL; the replica
/// snapshot will implement the same protocol, so the view layer does not change.
public protocol CatalogReading: Sendable {
    /// Every deployment, in catalog order (visibility is applied by the caller).
    func deployments() async throws -> [Deployment]
    /// The cost-map entries these deployments need for enrichment.
    func costMap(for deployments: [Deployment]) async throws -> CostMap
    /// The snapshot version answers come from, when responses may be cached (nil: never).
    var cacheVersion: Int64? { get }
}

/// Reads with parameterised queries on every call.
public struct DatabaseCatalogReader: CatalogReading {
    let models: ModelRepository
    let costs: CostMapRepository

    public init(models: ModelRepository, costs: CostMapRepository) {
        self.models = models
        self.costs = costs
    }

    public func deployments() async throws -> [Deployment] {
        try await models.all()
    }

    public var cacheVersion: Int64? { nil }

    public func costMap(for deployments: [Deployment]) async throws -> CostMap {
        var keys = Set<String>()
        for deployment in deployments { keys.formUnion(CostMapLookup.candidateKeys(for: deployment)) }
        return try await costs.entries(for: keys.sorted())
    }
}

/// Reads from the replica's in-memory snapshot: no query per request.
public struct SnapshotCatalogReader: CatalogReading {
    let store: SnapshotStore

    public init(store: SnapshotStore) {
        self.store = store
    }

    public func deployments() async throws -> [Deployment] {
        store.snapshot.deployments
    }

    public var cacheVersion: Int64? { store.snapshot.seq }

    public func costMap(for deployments: [Deployment]) async throws -> CostMap {
        store.snapshot.costMap
    }
}
