import HashTreeCollections

/// A snapshot's deployments in catalog order (`models.ordinal`), found by id and by tenant, in
/// persistent structures: a change of one deployment costs O(log n) plus one chunk, and shares
/// everything else with the index it was made from, so that a write costs what it changes
/// whatever the size of the catalog.
///
/// - `run`: every deployment by ordinal (the only place a deployment is held);
/// - `ordinalsByID`: each id's ordinal, byte-exact (`ExactID`), as the primary key is;
/// - `ordinalsByTenant`: each tenant's ordinals (nil: the shared models), so that a tenant's
///   models are found without looking at any other tenant's.
public struct DeploymentIndex: Sendable {
    private var run: OrdinalRun<Deployment>
    private var ordinalsByID: TreeDictionary<ExactID, Int64>
    private var ordinalsByTenant: TreeDictionary<ExactID?, OrdinalRun<Void>>

    public static let empty = DeploymentIndex()

    private init() {
        run = OrdinalRun()
        ordinalsByID = [:]
        ordinalsByTenant = [:]
    }

    /// `deployments` in catalog order, with their ordinals (ascending).
    public init(sorted deployments: [Deployment], ordinals: [Int64]) {
        precondition(ordinals.count == deployments.count, "one ordinal per deployment")
        self.init(parts: [Part(run: OrdinalRun(sortedKeys: ordinals, values: deployments))])
    }

    /// A stretch of the catalog order, indexed on its own: a large load builds its parts on
    /// several threads at once, each as it reads its rows, and joins them (`init(parts:)`).
    public struct Part: Sendable {
        fileprivate let run: OrdinalRun<Deployment>
        fileprivate let ordinalsByID: TreeDictionary<ExactID, Int64>
        fileprivate let ordinalsByTenant: [ExactID?: [Int64]]

        /// Deployments placed in catalog order (ordinals ascending).
        public init(sorted placed: [CatalogSnapshot.Placed]) {
            self.init(run: OrdinalRun(sorted: placed, key: \.ordinal, value: \.deployment))
        }

        fileprivate init(run: OrdinalRun<Deployment>) {
            self.run = run
            var byID = TreeDictionary<ExactID, Int64>()
            var byTenant: [ExactID?: [Int64]] = [:]
            for (ordinal, deployment) in run.pairs {
                // The first of two rows with one id wins, as a lookup of the old array did.
                let id = ExactID(deployment.id)
                if let first = byID.updateValue(ordinal, forKey: id) {
                    byID[id] = first
                    continue
                }
                byTenant[DeploymentIndex.key(deployment.tenantID), default: []].append(ordinal)
            }
            ordinalsByID = byID
            ordinalsByTenant = byTenant
        }
    }

    /// `parts` joined, each after the one before it in catalog order. The id indexes join by
    /// their structure (`TreeDictionary.merge`), not key by key.
    public init(parts: [Part]) {
        let run = OrdinalRun(joining: parts.map(\.run))
        var byID = parts.first?.ordinalsByID ?? [:]
        for part in parts.dropFirst() { byID.merge(part.ordinalsByID) { first, second in Swift.min(first, second) } }
        var parts = parts
        if byID.count < parts.reduce(0, { $0 + $1.ordinalsByID.count }) {
            // An id in two parts (never from the table, whose primary key it is): the part-wise
            // tenant lists would keep both rows, so index the joined run as one part.
            parts = [Part(run: run)]
            byID = parts[0].ordinalsByID
        }
        var byTenant: [ExactID?: [Int64]] = [:]
        for part in parts {
            for (tenant, ordinals) in part.ordinalsByTenant { byTenant[tenant, default: []].append(contentsOf: ordinals) }
        }
        self.run = run
        ordinalsByID = byID
        ordinalsByTenant = TreeDictionary(uniqueKeysWithValues: byTenant.map { tenant, ordinals in
            (tenant, OrdinalRun(sortedKeys: ordinals, values: Array(repeating: (), count: ordinals.count)))
        })
    }

    /// The deployment `id`, if present.
    public func deployment(id: String) -> Deployment? {
        ordinalsByID[ExactID(id)].flatMap { run.value(at: $0) }
    }

    /// The catalog position of the deployment `id`, if present.
    public func ordinal(id: String) -> Int64? {
        ordinalsByID[ExactID(id)]
    }

    /// Puts `deployment` at `ordinal`, in place of the row with its id (which may have had
    /// another ordinal or another tenant).
    public mutating func put(_ deployment: Deployment, at ordinal: Int64) {
        let id = ExactID(deployment.id)
        if let old = ordinalsByID[id] {
            let oldTenant = Self.key(run.value(at: old)?.tenantID)
            let tenant = Self.key(deployment.tenantID)
            if old != ordinal || oldTenant != tenant {
                removeOrdinal(old, tenant: oldTenant)
                addOrdinal(ordinal, tenant: tenant)
            }
            if old != ordinal { run.remove(at: old) }
        } else {
            addOrdinal(ordinal, tenant: Self.key(deployment.tenantID))
        }
        ordinalsByID[id] = ordinal
        run.set(deployment, at: ordinal)
    }

    /// Removes the deployment `id`, if present.
    public mutating func remove(id: String) {
        guard let ordinal = ordinalsByID.removeValue(forKey: ExactID(id)) else { return }
        removeOrdinal(ordinal, tenant: Self.key(run.value(at: ordinal)?.tenantID))
        run.remove(at: ordinal)
    }

    /// A tenant's key in `ordinalsByTenant` (nil: shared).
    fileprivate static func key(_ tenant: String?) -> ExactID? { tenant.map { ExactID($0) } }

    private mutating func addOrdinal(_ ordinal: Int64, tenant: ExactID?) {
        ordinalsByTenant[tenant, default: OrdinalRun()].set((), at: ordinal)
    }

    private mutating func removeOrdinal(_ ordinal: Int64, tenant: ExactID?) {
        guard var ordinals = ordinalsByTenant[tenant] else { return }
        ordinals.remove(at: ordinal)
        ordinalsByTenant[tenant] = ordinals.isEmpty ? nil : ordinals
    }

    /// The deployments of `tenants` (nil: the shared ones), in catalog order. Costs the size of
    /// those tenants, not of the catalog.
    public func deployments(ofTenants tenants: [String?]) -> [Deployment] {
        var runs = Set(tenants.map(Self.key)).compactMap { ordinalsByTenant[$0] }
        if runs.count == 1 { return runs[0].keys.compactMap { run.value(at: $0) } }
        // Several tenants: their ordinals merged into catalog order.
        runs.removeAll { $0.isEmpty }
        var ordinals: [Int64] = []
        ordinals.reserveCapacity(runs.reduce(0) { $0 + $1.count })
        for tenant in runs { ordinals.append(contentsOf: tenant.keys) }
        ordinals.sort()
        return ordinals.compactMap { run.value(at: $0) }
    }

    /// Every deployment, in catalog order.
    public var all: [Deployment] { run.array }

    /// The deployments at `positions` of the catalog order: a page, without copying the catalog.
    public func deployments(at positions: Range<Int>) -> [Deployment] {
        run.values(at: positions.clamped(to: 0..<run.count))
    }
}

extension DeploymentIndex: Collection {
    public typealias Index = OrdinalRun<Deployment>.Index

    public var startIndex: Index { run.startIndex }
    public var endIndex: Index { run.endIndex }
    public func index(after index: Index) -> Index { run.index(after: index) }
    public subscript(index: Index) -> Deployment { run[index] }
    public var count: Int { run.count }
    public var isEmpty: Bool { run.isEmpty }
}
