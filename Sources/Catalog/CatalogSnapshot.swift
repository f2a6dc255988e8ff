import Foundation
import Synchronization

/// An immutable copy of the whole catalog. Replicas answer every read from one; a change produces
/// a new snapshot, never a mutation.
///
/// Deployments are kept in catalog order, the `models.ordinal` each row was given when it arrived,
/// whatever order a replica learnt of them in: two replicas with the same rows hold them in the
/// same order, so they answer with the same bytes and the same ETags.
public struct CatalogSnapshot: Sendable {
    /// A deployment with its catalog position (`models.ordinal`, unique and never changed), held
    /// as snapshots hold it (`Deployment.heldForDisplay`).
    public struct Placed: Sendable, Hashable {
        public let ordinal: Int64
        public let deployment: Deployment

        public init(ordinal: Int64, deployment: Deployment) {
            self.ordinal = ordinal
            self.deployment = deployment.heldForDisplay
        }

        /// `deployments` with their `ordinals`, held and indexed on every core: at start a
        /// replica converts its whole catalog.
        public static func held(_ deployments: [Deployment], ordinals: [Int64]) -> [DeploymentIndex.Part] {
            precondition(ordinals.count == deployments.count, "one ordinal per deployment")
            let chunks = min(ProcessInfo.processInfo.activeProcessorCount * 4, max(1, deployments.count / 1_000))
            let part = { @Sendable (range: Range<Int>) in
                DeploymentIndex.Part(sorted: range.map { Placed(ordinal: ordinals[$0], deployment: deployments[$0]) })
            }
            guard chunks > 1 else { return [part(deployments.indices)] }
            let results = HeldParts(count: chunks)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                results.set(chunk, part((deployments.count * chunk / chunks)..<(deployments.count * (chunk + 1) / chunks)))
            }
            return results.all()
        }
    }

    /// The highest change-log seq applied (for readiness and metrics; not an order).
    public let seq: Int64
    /// Grows by one with every snapshot a replica publishes: what cached answers are valid for.
    public let generation: Int64
    /// Every deployment, in catalog order, as shown (`Deployment.heldForDisplay`), found by id and
    /// by tenant: a snapshot answers reads only.
    public let deployments: DeploymentIndex
    public let costMap: CostMap
    /// Which cost map `costMap` is, unique in the process: a view rendered with it stays valid
    /// for as long as a snapshot carries the same revision (a model write keeps it).
    public let costMapRevision: UInt64
    /// Live and expired keys by the SHA-256 digest of their text.
    public let keysByDigest: [[UInt8]: APIKeyRecord]
    /// The router aliases (`model_group_aliases`), in alias byte order.
    public let aliases: [ModelGroupAlias]
    /// The reusable credentials, as they may be shown (names, team, info, value names: never values).
    public let credentials: CredentialSet

    /// `deployments` in catalog order with their `ordinals` (nil: numbered in the order given).
    public init(seq: Int64, generation: Int64 = 0, deployments: [Deployment], ordinals: [Int64]? = nil,
                costMap: CostMap, keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias] = [],
                credentials: CredentialSet = .empty) {
        let ordinals = ordinals ?? deployments.indices.map { Int64($0) + 1 }
        self.init(seq: seq, generation: generation, parts: Placed.held(deployments, ordinals: ordinals), costMap: costMap,
                  keysByDigest: keysByDigest, aliases: aliases, credentials: credentials)
    }

    /// Deployments placed (and so held) and indexed in parts, the parts in catalog order.
    public init(seq: Int64, generation: Int64 = 0, parts: [DeploymentIndex.Part], costMap: CostMap,
                keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias] = [], credentials: CredentialSet = .empty) {
        self.init(seq: seq, generation: generation, deployments: DeploymentIndex(parts: parts),
                  costMap: costMap, keysByDigest: keysByDigest, aliases: aliases, credentials: credentials)
    }

    private init(seq: Int64, generation: Int64, deployments: DeploymentIndex, costMap: CostMap, costMapRevision: UInt64? = nil,
                 keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias], credentials: CredentialSet) {
        self.seq = seq
        self.generation = generation
        self.deployments = deployments
        self.costMap = costMap
        self.costMapRevision = costMapRevision ?? Self.revisions.withLock { revision in
            revision += 1
            return revision
        }
        self.keysByDigest = keysByDigest
        self.aliases = aliases
        self.credentials = credentials
    }

    /// The last cost-map revision given out.
    private static let revisions = Mutex<UInt64>(0)

    public static let empty = CatalogSnapshot(seq: 0, deployments: [], costMap: CostMap(), keysByDigest: [:])

    public func deployment(id: String) -> Deployment? {
        deployments.deployment(id: id)
    }

    /// The catalog position of the deployment `id`, if present.
    public func ordinal(id: String) -> Int64? {
        deployments.ordinal(id: id)
    }

    /// This snapshot with the deployments `ids` replaced by `current` (their rows now; an id
    /// without a row was deleted). Each one takes its place by ordinal. Costs what changed: the
    /// index is persistent (`DeploymentIndex`).
    public func replacing(ids: Set<ExactID>, with current: [Placed]) -> CatalogSnapshot {
        let fresh = Dictionary(current.map { (ExactID($0.deployment.id), $0) }, uniquingKeysWith: { first, _ in first })
        var index = deployments
        for id in ids {
            if let row = fresh[id] { index.put(row.deployment, at: row.ordinal) } else { index.remove(id: id.text) }
        }
        return CatalogSnapshot(seq: seq, generation: generation, deployments: index, costMap: costMap, costMapRevision: costMapRevision,
                               keysByDigest: keysByDigest, aliases: aliases, credentials: credentials)
    }

    public func with(seq: Int64? = nil, generation: Int64? = nil, costMap: CostMap? = nil,
                     keysByDigest: [[UInt8]: APIKeyRecord]? = nil, aliases: [ModelGroupAlias]? = nil,
                     credentials: CredentialSet? = nil) -> CatalogSnapshot {
        CatalogSnapshot(seq: seq ?? self.seq, generation: generation ?? self.generation, deployments: deployments,
                        costMap: costMap ?? self.costMap, costMapRevision: costMap == nil ? costMapRevision : nil, keysByDigest: keysByDigest ?? self.keysByDigest,
                        aliases: aliases ?? self.aliases, credentials: credentials ?? self.credentials)
    }
}

/// The parts `CatalogSnapshot.Placed.held` converts on several threads, each written once.
private final class HeldParts: Sendable {
    private let parts: Mutex<[DeploymentIndex.Part?]>

    init(count: Int) { parts = Mutex(Array(repeating: nil, count: count)) }

    func set(_ index: Int, _ part: DeploymentIndex.Part) { parts.withLock { $0[index] = part } }

    func all() -> [DeploymentIndex.Part] { parts.withLock { $0.map { $0! } } }
}
