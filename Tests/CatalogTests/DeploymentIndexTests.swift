import Catalog
import Testing

@Suite("DeploymentIndex: persistent, by id and by tenant")
struct DeploymentIndexTests {
    static func deployment(_ id: String, tenant: String?, name: String = "m") -> Deployment {
        Deployment(id: id, tenantID: tenant, modelName: name, litellmParams: ["model": "openai/gpt-4o"])
    }

    /// A plain list kept beside the index: what every lookup must agree with.
    struct Reference {
        var rows: [String: (ordinal: Int64, deployment: Deployment)] = [:]

        var ordered: [Deployment] { rows.values.sorted { $0.ordinal < $1.ordinal }.map(\.deployment) }

        func of(_ tenants: [String?]) -> [Deployment] {
            ordered.filter { deployment in tenants.contains { ExactID.same(deployment.tenantID, $0) } }
        }
    }

    static func check(_ index: DeploymentIndex, against reference: Reference, tenants: [String?],
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let ordered = reference.ordered
        #expect(index.count == ordered.count, sourceLocation: sourceLocation)
        #expect(index.all == ordered, sourceLocation: sourceLocation)
        #expect(Array(index) == ordered, "iteration", sourceLocation: sourceLocation)
        for range in [0..<0, 0..<1, 3..<260, 250..<777, ordered.count - 5..<ordered.count + 5, ordered.count..<ordered.count + 50] {
            let clamped = range.clamped(to: 0..<ordered.count)
            #expect(index.deployments(at: range) == Array(ordered[clamped]), "page \(range)", sourceLocation: sourceLocation)
        }
        for (id, row) in reference.rows {
            #expect(index.deployment(id: id) == row.deployment, sourceLocation: sourceLocation)
            #expect(index.ordinal(id: id) == row.ordinal, sourceLocation: sourceLocation)
        }
        for tenant in tenants {
            #expect(index.deployments(ofTenants: [tenant]) == reference.of([tenant]), "tenant \(tenant ?? "shared")",
                    sourceLocation: sourceLocation)
            #expect(index.deployments(ofTenants: [tenant, nil]) == reference.of([tenant, nil]), sourceLocation: sourceLocation)
        }
    }

    @Test("random puts, moves between tenants, re-creations and removals agree with a plain list, chunks split and merge")
    func randomChanges() {
        var generator = SeededGenerator(seed: 42)
        let tenants: [String?] = [nil, "t1", "t2", "t3", "café", "cafe\u{301}"]
        var reference = Reference()
        var nextOrdinal: Int64 = 1
        // A start with 1,500 rows (several chunks), as a load gives them.
        var initial: [Deployment] = []
        for number in 0..<1_500 {
            let row = Self.deployment("m\(number)", tenant: tenants[number % tenants.count])
            initial.append(row)
            reference.rows[row.id] = (nextOrdinal, row)
            nextOrdinal += 1
        }
        var index = DeploymentIndex(sorted: initial, ordinals: Array(1...Int64(initial.count)))
        Self.check(index, against: reference, tenants: tenants)
        var versions: [(DeploymentIndex, Reference)] = [(index, reference)]
        for step in 0..<4_000 {
            let id = "m\(Int.random(in: 0..<2_500, using: &generator))"
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<3:
                index.remove(id: id)
                reference.rows[id] = nil
            case 3..<5:
                // Deleted and created again (or new): a new ordinal at the end.
                let row = Self.deployment(id, tenant: tenants.randomElement(using: &generator)!, name: "n\(step)")
                index.put(row, at: nextOrdinal)
                reference.rows[id] = (nextOrdinal, row)
                nextOrdinal += 1
            default:
                // An update in place, perhaps moving it to another tenant.
                guard let ordinal = reference.rows[id]?.ordinal else { continue }
                let row = Self.deployment(id, tenant: tenants.randomElement(using: &generator)!, name: "u\(step)")
                index.put(row, at: ordinal)
                reference.rows[id] = (ordinal, row)
            }
            if step % 500 == 0 { versions.append((index, reference)) }
        }
        Self.check(index, against: reference, tenants: tenants)
        // Every earlier version is untouched by the changes made after it.
        for (old, oldReference) in versions { Self.check(old, against: oldReference, tenants: tenants) }
    }

    @Test("parts indexed apart and joined answer as the whole, changes after the join included; an id in two parts keeps its first row")
    func joinedParts() {
        let tenants: [String?] = [nil, "t1", "t2", "café"]
        var reference = Reference()
        var placed: [CatalogSnapshot.Placed] = []
        for number in 0..<3_000 {
            let row = Self.deployment("m\(number)", tenant: tenants[number % tenants.count])
            let ordinal = Int64(number * 3 + 1)
            placed.append(CatalogSnapshot.Placed(ordinal: ordinal, deployment: row))
            reference.rows[row.id] = (ordinal, row.heldForDisplay)
        }
        // Uneven parts, one of them empty, as the ranges of a load may be.
        let cuts = [0, 1, 700, 700, 2_000, 3_000]
        let parts = zip(cuts, cuts.dropFirst()).map { DeploymentIndex.Part(sorted: Array(placed[$0..<$1])) }
        var index = DeploymentIndex(parts: parts)
        Self.check(index, against: reference, tenants: tenants)

        let moved = Self.deployment("m5", tenant: "t2", name: "moved")
        index.put(moved, at: 9_001)
        reference.rows["m5"] = (9_001, moved)
        index.remove(id: "m700")
        reference.rows["m700"] = nil
        let changed = Self.deployment("m1999", tenant: nil, name: "changed")
        index.put(changed, at: 1999 * 3 + 1)
        reference.rows["m1999"] = (1999 * 3 + 1, changed)
        Self.check(index, against: reference, tenants: tenants)

        let twice = DeploymentIndex(parts: parts + [DeploymentIndex.Part(sorted: [
            CatalogSnapshot.Placed(ordinal: 9_500, deployment: Self.deployment("m1", tenant: "t2", name: "second")),
        ])])
        #expect(twice.deployment(id: "m1")?.modelName == "m")
        #expect(twice.ordinal(id: "m1") == 4)
        #expect(!twice.deployments(ofTenants: ["t2"]).contains { $0.id == "m1" })
        #expect(twice.deployments(ofTenants: ["t1"]).filter { $0.id == "m1" }.count == 1)
    }

    @Test("removing every row empties the index and its tenants")
    func removeAll() {
        let rows = (0..<600).map { Self.deployment("m\($0)", tenant: $0 % 2 == 0 ? "t" : nil) }
        var index = DeploymentIndex(sorted: rows, ordinals: (0..<600).map { Int64($0) * 2 })
        for row in rows.reversed() { index.remove(id: row.id) }
        #expect(index.isEmpty)
        #expect(index.all.isEmpty)
        #expect(index.deployments(ofTenants: ["t", nil]).isEmpty)
        index.put(Self.deployment("x", tenant: "t"), at: 5)
        #expect(index.deployments(ofTenants: ["t"]).map(\.id) == ["x"])
    }
}

/// A small deterministic generator (SplitMix64): the random test is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
