import Catalog
import Testing

@Suite("CatalogSnapshot changes")
struct CatalogSnapshotTests {
    static func deployment(_ id: String, name: String? = nil) -> Deployment {
        Deployment(id: id, tenantID: nil, modelName: name ?? id, litellmParams: ["model": "openai/gpt-4o"], modelInfo: [:],
                   version: 1, source: .api)
    }

    static let base = CatalogSnapshot(seq: 10, deployments: ["a", "b", "c"].map { deployment($0) }, costMap: CostMap(),
                                      keysByDigest: [:])

    /// The snapshot's ids in order, and every id found by `deployment(id:)` at its place.
    static func check(_ snapshot: CatalogSnapshot, _ ids: [String]) {
        #expect(snapshot.deployments.map(\.id) == ids)
        for deployment in snapshot.deployments {
            #expect(snapshot.deployment(id: deployment.id) == deployment, "lookup of \(deployment.id)")
        }
    }

    @Test("an update stays in place, an addition goes last, a deletion closes the gap; lookups follow")
    func replacing() {
        let updated = Self.base.replacing(ids: ["b"], with: [Self.deployment("b", name: "renamed")], seq: 11)
        Self.check(updated, ["a", "b", "c"])
        #expect(updated.deployment(id: "b")?.modelName == "renamed")
        #expect(updated.seq == 11)
        #expect(Self.base.deployment(id: "b")?.modelName == "b", "the old snapshot changed")

        let added = updated.replacing(ids: ["d", "a"], with: [Self.deployment("a", name: "A"), Self.deployment("d")], seq: 12)
        Self.check(added, ["a", "b", "c", "d"])
        #expect(added.deployment(id: "a")?.modelName == "A")

        let deleted = added.replacing(ids: ["b", "e"], with: [Self.deployment("e")], seq: 13)
        Self.check(deleted, ["a", "c", "d", "e"])
        #expect(deleted.deployment(id: "b") == nil)

        // An id with no row that the snapshot never had: nothing to do.
        Self.check(deleted.replacing(ids: ["zz"], with: [], seq: 14), ["a", "c", "d", "e"])
    }

    @Test("with(seq:) keeps the deployments and their lookups")
    func withSeq() {
        let next = Self.base.with(seq: 99)
        #expect(next.seq == 99)
        Self.check(next, ["a", "b", "c"])
    }
}
