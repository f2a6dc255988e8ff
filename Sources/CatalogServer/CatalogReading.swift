import Catalog
import CatalogStore

/// The catalog as one request sees it: the deployments, the cost map and the version, all from
/// one snapshot (or one round of queries), so that a body, its ETag and its prices always agree.
public struct CatalogReadState: Sendable {
    /// Every deployment, in catalog order, found by id and tenant (visibility is applied by the
    /// caller, through the policy).
    public var deployments: DeploymentIndex
    /// At least the cost-map entries these deployments need for enrichment.
    public var costMap: CostMap
    /// The snapshot version, when responses may be cached (nil: never).
    public var version: Int64?
    /// The router aliases, in alias byte order.
    public var aliases: [ModelGroupAlias] = []
    /// What each generation up to `version` changed, so that cached reads a change did not touch
    /// survive it (nil: every new version empties the cache).
    var invalidations: InvalidationLog? = nil
    /// Views of single deployments already rendered with this cost map (nil: render each read).
    var rendered: RenderedViews? = nil
    /// Which cost map `costMap` is (`CatalogSnapshot.costMapRevision`).
    var costMapRevision: UInt64 = 0

    /// `deployments` as `/model/info` shows them (`DeploymentView`), rendered once per deployment
    /// and cost map where a replica keeps views.
    func views(_ deployments: [Deployment]) -> [JSONValue] {
        guard let rendered else { return deployments.map { DeploymentView.json($0, costMap: costMap) } }
        return rendered.views(deployments, costMap: costMap, revision: costMapRevision)
    }
}

/// Where read endpoints get the catalog from: the replica's snapshot, or PostgreSQL directly
/// (`serve --no-cache`). Both give the same bytes.
public protocol CatalogReading: Sendable {
    /// The catalog now; a request takes it once and derives everything from it.
    func current() async throws -> CatalogReadState
    /// The cost-map entries a write's reply needs.
    func costMap(for deployments: [Deployment]) async throws -> CostMap
}

/// Reads with parameterised queries on every call.
public struct DatabaseCatalogReader: CatalogReading {
    let models: ModelRepository
    let costs: CostMapRepository
    let aliases: AliasRepository?

    public init(models: ModelRepository, costs: CostMapRepository, aliases: AliasRepository? = nil) {
        self.models = models
        self.costs = costs
        self.aliases = aliases
    }

    public func current() async throws -> CatalogReadState {
        let deployments = try await models.all()
        // A wildcard route lists cost-map models its deployment's own keys do not name: read
        // the whole map then (rare; such a catalog is small).
        let costMap = deployments.contains(where: \.isWildcardRoute) ? try await costs.all() : try await costMap(for: deployments)
        return CatalogReadState(deployments: DeploymentIndex(sorted: deployments, ordinals: deployments.indices.map { Int64($0) + 1 }),
                                costMap: costMap, version: nil,
                                aliases: try await aliases?.all() ?? [])
    }

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

    public func current() async throws -> CatalogReadState {
        let snapshot = store.snapshot
        return CatalogReadState(deployments: snapshot.deployments, costMap: snapshot.costMap, version: snapshot.generation,
                                aliases: snapshot.aliases, invalidations: store.invalidations, rendered: store.rendered,
                                costMapRevision: snapshot.costMapRevision)
    }

    public func costMap(for deployments: [Deployment]) async throws -> CostMap {
        store.snapshot.costMap
    }
}
