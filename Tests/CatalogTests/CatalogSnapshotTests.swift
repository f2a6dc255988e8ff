import Catalog
import Testing

@Suite("CatalogSnapshot changes")
struct CatalogSnapshotTests {
    static func deployment(_ id: String, name: String? = nil) -> Deployment {
        Deployment(id: id, tenantID: nil, modelName: name ?? id, litellmParams: ["model": "openai/gpt-4o"], modelInfo: [:],
                   version: 1, source: .api)
    }

    static func placed(_ id: String, _ ordinal: Int64, name: String? = nil) -> CatalogSnapshot.Placed {
        CatalogSnapshot.Placed(ordinal: ordinal, deployment: deployment(id, name: name))
    }

    /// a, b, c at ordinals 10, 20, 30.
    static let base = CatalogSnapshot(seq: 10, deployments: ["a", "b", "c"].map { deployment($0) }, ordinals: [10, 20, 30],
                                      costMap: CostMap(), keysByDigest: [:])

    /// The snapshot's ids in order, and every id found by `deployment(id:)` at its place.
    static func check(_ snapshot: CatalogSnapshot, _ ids: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(snapshot.deployments.map(\.id) == ids, sourceLocation: sourceLocation)
        for deployment in snapshot.deployments {
            #expect(snapshot.deployment(id: deployment.id) == deployment, "lookup of \(deployment.id)", sourceLocation: sourceLocation)
        }
        let ordinals = snapshot.deployments.compactMap { snapshot.ordinal(id: $0.id) }
        #expect(ordinals == ordinals.sorted() && ordinals.count == ids.count, "ordinals ascend", sourceLocation: sourceLocation)
    }

    @Test("an update stays in place, an addition takes its ordinal's place, a deletion closes the gap; lookups follow")
    func replacing() {
        let updated = Self.base.replacing(ids: ["b"], with: [Self.placed("b", 20, name: "renamed")])
        Self.check(updated, ["a", "b", "c"])
        #expect(updated.deployment(id: "b")?.modelName == "renamed")
        #expect(Self.base.deployment(id: "b")?.modelName == "b", "the old snapshot changed")

        let added = updated.replacing(ids: ["d", "a", "x"], with: [Self.placed("a", 10, name: "A"), Self.placed("d", 40), Self.placed("x", 15)])
        Self.check(added, ["a", "x", "b", "c", "d"])
        #expect(added.deployment(id: "a")?.modelName == "A")

        let deleted = added.replacing(ids: ["b", "e"], with: [Self.placed("e", 5)])
        Self.check(deleted, ["e", "a", "x", "c", "d"])
        #expect(deleted.deployment(id: "b") == nil)

        // An id with no row that the snapshot never had: nothing to do.
        Self.check(deleted.replacing(ids: ["zz"], with: []), ["e", "a", "x", "c", "d"])
        // Deleted and created again: the new row takes its new ordinal's place.
        Self.check(deleted.replacing(ids: ["e"], with: [Self.placed("e", 50)]), ["a", "x", "c", "d", "e"])
    }

    @Test("the same rows learnt in any order give the same list (replicas agree on bytes)")
    func arrivalOrderDoesNotMatter() {
        let rows = (1...12).map { Self.placed("m\($0)", Int64($0) * 3) }
        let empty = CatalogSnapshot.empty
        var forward = empty, backward = empty, pairs = empty
        for row in rows { forward = forward.replacing(ids: [ExactID(row.deployment.id)], with: [row]) }
        for row in rows.reversed() { backward = backward.replacing(ids: [ExactID(row.deployment.id)], with: [row]) }
        for chunk in stride(from: 0, to: rows.count, by: 2) {
            let two = [rows[rows.count - 1 - chunk], rows[chunk]]
            pairs = pairs.replacing(ids: Set(two.map { ExactID($0.deployment.id) }), with: two)
        }
        #expect(forward.deployments.all == rows.map(\.deployment))
        #expect(backward.deployments.all == forward.deployments.all)
        #expect(pairs.deployments.all == forward.deployments.all)
    }

    @Test("with(seq:generation:) keeps the deployments and their lookups")
    func withSeq() {
        let next = Self.base.with(seq: 99, generation: 7)
        #expect(next.seq == 99)
        #expect(next.generation == 7)
        Self.check(next, ["a", "b", "c"])
    }
}
