import Catalog
import Testing

/// Issue 11, item 13: a snapshot holds each deployment's documents as shown, with array and object
/// members written once, so a 1 MB body of small objects no longer costs ~18 MB on every replica.
@Suite("Deployments held for display")
struct HeldForDisplayTests {
    /// A 30 KB list of small objects, the shape that cost the most memory per byte as a tree.
    static let smallObjects: JSONValue = .array((0..<3_000).map { ["k": .int($0 % 10)] })

    static let awkward = Deployment(
        id: "awkward", tenantID: "t1", modelName: "awkward",
        litellmParams: [
            "model": "azure/gpt-4o", "api_key": "sk-top-level", "api_base": "https://user:pass@example.com/v1",
            "extra": smallObjects, "rpm": 60, "input_cost_per_token": 0.000002,
            "extra_headers": .array([["name": "Authorization", "value": "Bearer nested-secret"], ["name": "X-Trace", "value": "on"]]),
            "nested": ["deeper": ["client_secret": "cs-nested", "password": "pw-nested", "keep": [1, 2.5, "x", nil, true]]],
            "api_version": "os.environ/AZURE_API_VERSION", "empty_list": [], "empty_object": [:],
        ],
        modelInfo: ["id": "awkward", "team_id": "t1", "base_model": "gpt-4o", "mode": "chat",
                    "tags": ["a", "b"], "notes": ["token": "tk-info-secret", "text": "é\u{0}\"\\"]])

    @Test("every view gives the same bytes for the held form as for the stored deployment")
    func viewsAgree() throws {
        let costMap = try Fixtures.costMap()
        let deployments = try Fixtures.deployments() + [Self.awkward]
        let held = deployments.map(\.heldForDisplay)
        for (stored, shown) in zip(deployments, held) {
            #expect(JSONWriter.bytes(DeploymentView.json(shown, costMap: costMap)) == JSONWriter.bytes(DeploymentView.json(stored, costMap: costMap)),
                    "/model/info entry of \(stored.id)")
        }
        #expect(JSONWriter.bytes(.array(ModelGroupView.groups(held, costMap: costMap)))
                == JSONWriter.bytes(.array(ModelGroupView.groups(deployments, costMap: costMap))))
        #expect(JSONWriter.bytes(.array(OpenAIModelView.models(held, costMap: costMap)))
                == JSONWriter.bytes(.array(OpenAIModelView.models(deployments, costMap: costMap))))
        #expect(held.map(\.heldForDisplay) == held, "holding a held deployment changes nothing")
    }

    @Test("array and object members are one buffer of their JSON; scalars stay as they are")
    func compact() throws {
        let held = Self.awkward.heldForDisplay
        guard case .encoded(let extra)? = held.litellmParams["extra"] else {
            Issue.record("extra is held as a tree: \(String(describing: held.litellmParams["extra"]))")
            return
        }
        #expect(extra.bytes == JSONWriter.bytes(Self.smallObjects), "the bytes are the JSON, nothing more")
        #expect(held.litellmParams["rpm"] == 60)
        #expect(held.litellmParams["model"] == "azure/gpt-4o")
        guard case .encoded? = held.modelInfo["tags"] else {
            Issue.record("model_info.tags is held as a tree")
            return
        }
        // Readers that look inside see the tree it stands for.
        #expect(held.litellmParams["extra"]?.arrayValue?.count == 3_000)
        #expect(held.litellmParams["nested"]?["deeper"]?["keep"] == [1, 2.5, "x", nil, true])
        #expect(held.modelInfo["tags"]?.typeName == "an array")
        #expect(held.litellmParams["empty_object"]?.objectValue == [:])
    }

    @Test("a snapshot holds what it is given for display, whichever way it arrives")
    func snapshotsHoldShownForms() throws {
        let loaded = CatalogSnapshot(seq: 1, deployments: [Self.awkward], costMap: CostMap(), keysByDigest: [:])
        let changed = CatalogSnapshot.empty.replacing(ids: [ExactID("awkward")], with: [CatalogSnapshot.Placed(ordinal: 1, deployment: Self.awkward)])
        for snapshot in [loaded, changed] {
            let held = try #require(snapshot.deployment(id: "awkward"))
            #expect(held == Self.awkward.heldForDisplay)
            let bytes = JSONWriter.string(.object(held.litellmParams)) + JSONWriter.string(.object(held.modelInfo))
            for secret in ["sk-top-level", "user:pass", "nested-secret", "cs-nested", "pw-nested", "tk-info-secret"] {
                #expect(!bytes.contains(secret), "\(secret) is held by the snapshot")
            }
            #expect(bytes.contains("os.environ/AZURE_API_VERSION"), "a reference is shown as written")
        }
        // Loading converts on several threads: order and content are kept.
        let many = (0..<5_000).map { index in
            Deployment(id: "m\(index)", modelName: "m\(index)", litellmParams: ["model": "openai/gpt-4o", "tags": [.int(index)]])
        }
        let snapshot = CatalogSnapshot(seq: 1, deployments: many, costMap: CostMap(), keysByDigest: [:])
        #expect(snapshot.deployments.all == many.map(\.heldForDisplay))
        #expect(snapshot.deployment(id: "m4321")?.litellmParams["tags"]?.arrayValue == [4321])
    }
}
