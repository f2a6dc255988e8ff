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
    }

    /// The highest change-log seq applied (for readiness and metrics; not an order).
    public let seq: Int64
    /// Grows by one with every snapshot a replica publishes: what cached answers are valid for.
    public let generation: Int64
    /// Every deployment, in catalog order, as shown (`Deployment.heldForDisplay`): a snapshot
    /// answers reads only.
    public let deployments: [Deployment]
    /// `deployments[i]`'s ordinal, ascending.
    private let ordinals: [Int64]
    public let costMap: CostMap
    /// Live and expired keys by the SHA-256 digest of their text.
    public let keysByDigest: [[UInt8]: APIKeyRecord]
    /// The router aliases (`model_group_aliases`), in alias byte order.
    public let aliases: [ModelGroupAlias]
    /// The reusable credentials, as they may be shown (names, team, info, value names: never values).
    public let credentials: CredentialSet
    /// Position of each deployment in `deployments`, by id: byte-exact, as the primary key is
    /// (two canonically equivalent ids are two models).
    private let positions: [ExactID: Int]

    /// `deployments` in catalog order with their `ordinals` (nil: numbered in the order given).
    public init(seq: Int64, generation: Int64 = 0, deployments: [Deployment], ordinals: [Int64]? = nil,
                costMap: CostMap, keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias] = [],
                credentials: CredentialSet = .empty) {
        let ordinals = ordinals ?? deployments.indices.map { Int64($0) + 1 }
        precondition(ordinals.count == deployments.count, "one ordinal per deployment")
        self.init(seq: seq, generation: generation, held: Self.held(deployments), ordinals: ordinals, costMap: costMap,
                  keysByDigest: keysByDigest, aliases: aliases, credentials: credentials)
    }

    /// Deployments already held for display, indexed here.
    private init(seq: Int64, generation: Int64, held deployments: [Deployment], ordinals: [Int64], costMap: CostMap,
                 keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias], credentials: CredentialSet) {
        self.init(seq: seq, generation: generation, deployments: deployments, ordinals: ordinals, costMap: costMap,
                  keysByDigest: keysByDigest, aliases: aliases, credentials: credentials,
                  positions: Dictionary(deployments.enumerated().map { (ExactID($1.id), $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// `deployments` held for display, on every core: at start a replica converts its whole catalog.
    private static func held(_ deployments: [Deployment]) -> [Deployment] {
        let chunks = min(ProcessInfo.processInfo.activeProcessorCount * 4, max(1, deployments.count / 1_000))
        guard chunks > 1 else { return deployments.map(\.heldForDisplay) }
        let results = HeldChunks(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (deployments.count * chunk / chunks)..<(deployments.count * (chunk + 1) / chunks)
            results.set(chunk, deployments[range].map(\.heldForDisplay))
        }
        return results.joined()
    }

    /// With the index already known: a change that moves no deployment must not pay for
    /// re-hashing every id (at 100,000 deployments that was most of a write's cost on a replica).
    private init(seq: Int64, generation: Int64, deployments: [Deployment], ordinals: [Int64], costMap: CostMap,
                 keysByDigest: [[UInt8]: APIKeyRecord], aliases: [ModelGroupAlias], credentials: CredentialSet, positions: [ExactID: Int]) {
        self.seq = seq
        self.generation = generation
        self.deployments = deployments
        self.ordinals = ordinals
        self.costMap = costMap
        self.keysByDigest = keysByDigest
        self.aliases = aliases
        self.credentials = credentials
        self.positions = positions
    }

    public static let empty = CatalogSnapshot(seq: 0, deployments: [], costMap: CostMap(), keysByDigest: [:])

    public func deployment(id: String) -> Deployment? {
        positions[ExactID(id)].map { deployments[$0] }
    }

    /// The catalog position of the deployment `id`, if present.
    public func ordinal(id: String) -> Int64? {
        positions[ExactID(id)].map { ordinals[$0] }
    }

    /// This snapshot with the deployments `ids` replaced by `current` (their rows now; an id
    /// without a row was deleted). Each one takes its place by ordinal.
    public func replacing(ids: Set<ExactID>, with current: [Placed]) -> CatalogSnapshot {
        let fresh = Dictionary(current.map { (ExactID($0.deployment.id), $0) }, uniquingKeysWith: { first, _ in first })
        var moves = false
        for id in ids {
            let position = positions[id]
            switch (position, fresh[id]) {
            case (nil, nil): continue
            case (let position?, let row?) where ordinals[position] == row.ordinal: continue
            default: moves = true
            }
        }
        if !moves {
            // Updates in place: every position stays valid.
            var list = deployments
            for row in current { if let position = positions[ExactID(row.deployment.id)] { list[position] = row.deployment } }
            return CatalogSnapshot(seq: seq, generation: generation, deployments: list, ordinals: ordinals,
                                   costMap: costMap, keysByDigest: keysByDigest, aliases: aliases, credentials: credentials, positions: positions)
        }
        // Additions, deletions (or a row re-created under a new ordinal): merge the two sorted lists.
        let added = current.filter { row in positions[ExactID(row.deployment.id)].map { ordinals[$0] != row.ordinal } ?? true }
            .sorted { $0.ordinal < $1.ordinal }
        var list: [Deployment] = []
        var order: [Int64] = []
        list.reserveCapacity(deployments.count + added.count)
        order.reserveCapacity(deployments.count + added.count)
        var next = added.startIndex
        for (position, existing) in deployments.enumerated() {
            let ordinal = ordinals[position]
            while next < added.endIndex, added[next].ordinal < ordinal {
                list.append(added[next].deployment)
                order.append(added[next].ordinal)
                next += 1
            }
            let id = ExactID(existing.id)
            guard ids.contains(id) else {
                list.append(existing)
                order.append(ordinal)
                continue
            }
            if let row = fresh[id], row.ordinal == ordinal {
                list.append(row.deployment)
                order.append(ordinal)
            }
        }
        for row in added[next...] {
            list.append(row.deployment)
            order.append(row.ordinal)
        }
        return CatalogSnapshot(seq: seq, generation: generation, held: list, ordinals: order,
                               costMap: costMap, keysByDigest: keysByDigest, aliases: aliases, credentials: credentials)
    }

    public func with(seq: Int64? = nil, generation: Int64? = nil, costMap: CostMap? = nil,
                     keysByDigest: [[UInt8]: APIKeyRecord]? = nil, aliases: [ModelGroupAlias]? = nil,
                     credentials: CredentialSet? = nil) -> CatalogSnapshot {
        CatalogSnapshot(seq: seq ?? self.seq, generation: generation ?? self.generation, deployments: deployments,
                        ordinals: ordinals, costMap: costMap ?? self.costMap, keysByDigest: keysByDigest ?? self.keysByDigest,
                        aliases: aliases ?? self.aliases, credentials: credentials ?? self.credentials, positions: positions)
    }
}

/// The parts `CatalogSnapshot.held` converts on several threads, each written once.
private final class HeldChunks: Sendable {
    private let parts: Mutex<[[Deployment]]>

    init(count: Int) { parts = Mutex(Array(repeating: [], count: count)) }

    func set(_ index: Int, _ part: [Deployment]) { parts.withLock { $0[index] = part } }

    func joined() -> [Deployment] { parts.withLock { Array($0.joined()) } }
}
