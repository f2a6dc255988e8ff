import Foundation

/// An immutable copy of the whole catalog, tagged with the change-log seq it reflects. Replicas
/// answer every read from one; a change produces a new snapshot, never a mutation.
public struct CatalogSnapshot: Sendable {
    /// The highest change-log seq applied.
    public let seq: Int64
    /// Every deployment, in catalog order.
    public let deployments: [Deployment]
    public let costMap: CostMap
    /// Live and expired keys by the SHA-256 digest of their text.
    public let keysByDigest: [[UInt8]: APIKeyRecord]
    /// Position of each deployment in `deployments`, by id: byte-exact, as the primary key is
    /// (two canonically equivalent ids are two models).
    private let positions: [ExactID: Int]

    public init(seq: Int64, deployments: [Deployment], costMap: CostMap, keysByDigest: [[UInt8]: APIKeyRecord]) {
        self.init(seq: seq, deployments: deployments, costMap: costMap, keysByDigest: keysByDigest,
                  positions: Dictionary(deployments.enumerated().map { (ExactID($1.id), $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// With the index already known: a change that moves no deployment must not pay for
    /// re-hashing every id (at 100,000 deployments that was most of a write's cost on a replica).
    private init(seq: Int64, deployments: [Deployment], costMap: CostMap, keysByDigest: [[UInt8]: APIKeyRecord],
                 positions: [ExactID: Int]) {
        self.seq = seq
        self.deployments = deployments
        self.costMap = costMap
        self.keysByDigest = keysByDigest
        self.positions = positions
    }

    public static let empty = CatalogSnapshot(seq: 0, deployments: [], costMap: CostMap(), keysByDigest: [:])

    public func deployment(id: String) -> Deployment? {
        positions[ExactID(id)].map { deployments[$0] }
    }

    /// This snapshot with the deployments `ids` replaced by `current` (their rows now, in catalog
    /// order; an id without a row was deleted). New ones go last, in the order they arrived.
    public func replacing(ids: Set<ExactID>, with current: [Deployment], seq: Int64) -> CatalogSnapshot {
        let fresh = Dictionary(current.map { (ExactID($0.id), $0) }, uniquingKeysWith: { first, _ in first })
        let deleted = ids.contains { fresh[$0] == nil && positions[$0] != nil }
        if !deleted {
            // Updates in place and additions at the end: every position stays valid.
            var list = deployments
            var index = positions
            for deployment in current {
                let id = ExactID(deployment.id)
                if let position = positions[id] {
                    list[position] = deployment
                } else if index[id] == nil {
                    index[id] = list.count
                    list.append(deployment)
                }
            }
            return CatalogSnapshot(seq: seq, deployments: list, costMap: costMap, keysByDigest: keysByDigest, positions: index)
        }
        var list = deployments.compactMap { existing -> Deployment? in
            ids.contains(ExactID(existing.id)) ? fresh[ExactID(existing.id)] : existing
        }
        list.append(contentsOf: current.filter { positions[ExactID($0.id)] == nil })
        return CatalogSnapshot(seq: seq, deployments: list, costMap: costMap, keysByDigest: keysByDigest)
    }

    public func with(seq: Int64? = nil, costMap: CostMap? = nil, keysByDigest: [[UInt8]: APIKeyRecord]? = nil) -> CatalogSnapshot {
        CatalogSnapshot(seq: seq ?? self.seq, deployments: deployments, costMap: costMap ?? self.costMap,
                        keysByDigest: keysByDigest ?? self.keysByDigest, positions: positions)
    }
}
