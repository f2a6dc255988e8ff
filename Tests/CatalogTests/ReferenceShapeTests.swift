import Catalog
import Testing

/// Our views against a LiteLLM 1.108.7 proxy's responses for the same config and cost map.
@Suite("LiteLLM reference shapes")
struct ReferenceShapeTests {
    /// Values LiteLLM computes from provider code, which we do not reproduce (see ModelInfoEnrichment).
    static let providerCodeKeys: Set<String> = ["supported_openai_params", "supports_tool_search", "supported_reasoning_efforts"]

    /// Equal as JSON: numbers by value (LiteLLM writes 128000.0 where we write 128000).
    static func same(_ ours: JSONValue?, _ theirs: JSONValue?) -> Bool {
        switch (ours, theirs) {
        case (.some(.object(let a)), .some(.object(let b))):
            return a.keys.sorted() == b.keys.sorted() && a.allSatisfy { same($0.value, b[$0.key]) }
        case (.some(.array(let a)), .some(.array(let b))):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        default:
            if let x = ours?.doubleValue, let y = theirs?.doubleValue { return x == y }
            return ours == theirs
        }
    }

    static func views() throws -> [JSONValue] {
        let costMap = try Fixtures.costMap()
        return try Fixtures.deployments().map { DeploymentView.json($0, costMap: costMap) }
    }

    @Test func theFixturesLoad() throws {
        #expect(try Fixtures.deployments().count == 50)
        #expect(try Fixtures.costMap().count > 1000)
        #expect(try Fixtures.reference("model_info.json").count == 50)
    }

    @Test func deploymentViewsHaveLiteLLMsKeysAndValues() throws {
        let reference = Dictionary(uniqueKeysWithValues: try Fixtures.reference("model_info.json").map {
            ($0["model_info"]?["id"]?.stringValue ?? "", $0)
        })
        let views = try Self.views()
        #expect(views.count == reference.count)
        for view in views {
            let id = try #require(view["model_info"]?["id"]?.stringValue)
            let theirs = try #require(reference[id], "no reference entry for \(id)")
            let (paths, expected) = (view.keyPaths(), theirs.keyPaths())
            // Ours alone (README, "Safe edits", "The admin page"): the stored version, which an
            // If-Match names, where each price came from, where the model came from and which
            // parameters are hidden.
            let ourKeys = paths.subtracting(expected).filter {
                !$0.hasPrefix("model_info.price_provenance.") && !$0.hasPrefix("model_info.secret_params.")
            }
            #expect(ourKeys == ["model_info.version", "model_info.price_provenance", "model_info.pricing_drift",
                                "model_info.catalog_source", "model_info.secret_params"], "\(id): keys LiteLLM does not have")
            #expect(view["model_info"]?["catalog_source"] == "config")
            // Every parameter LiteLLM leaves out of its view or masks is named as hidden, and only those.
            let hidden = Set(view["model_info"]?["secret_params"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let shownParams = theirs["litellm_params"]?.objectValue ?? [:]
            let given = try #require(Fixtures.deployments().first { $0.id == id }).litellmParams
            #expect(hidden == Set(given.compactMap { name, value in shownParams[name].map { Self.same($0, value) } == true ? nil : name }), "\(id): secret_params")
            #expect(view["model_info"]?["version"] == 1)
            #expect(view["model_info"]?["pricing_drift"] == false)
            #expect(expected.subtracting(paths).isEmpty, "\(id): keys LiteLLM has and we do not")
            #expect(Self.same(view["model_name"], theirs["model_name"]))
            #expect(Self.same(view["litellm_params"], theirs["litellm_params"]), "\(id): litellm_params differ")

            let ours = try #require(view["model_info"]?.objectValue)
            let info = try #require(theirs["model_info"]?.objectValue)
            let foundByLiteLLM = info["mode"]?.isNull == false
            for (key, value) in info where !Self.providerCodeKeys.contains(key) && key != "key" {
                #expect(Self.same(ours[key], value), "\(id): model_info.\(key) is \(String(describing: ours[key])), LiteLLM says \(value)")
            }
            if foundByLiteLLM {
                #expect(ours["key"] == info["key"], "\(id): cost-map key")
            } else {
                // LiteLLM names the model it looked for even when the cost map lacks it; we say none.
                #expect(ours["key"] == .null)
                #expect(info["key"]?.stringValue == view["litellm_params"]?["model"]?.stringValue)
            }
        }
        // The comparison above covers these; checked by name so that a vacuous pass cannot hide.
        let first = try #require(views.first { $0["model_info"]?["id"] == "dep-0000" })
        #expect(first["litellm_params"]?["tpm"] == 10000)
        #expect(first["model_info"]?["max_input_tokens"] == 128000)
        #expect(first["model_info"]?["input_cost_per_token"] == 2.5e-06)
        #expect(first["model_info"]?["tpm"] == .null)
    }

    @Test func deploymentViewsShowNoSecret() throws {
        for view in try Self.views() {
            #expect(!JSONWriter.string(view).contains("sk-test-123"))
            #expect(!JSONWriter.string(view).contains("OPENAI_API_KEY"), "dropped even as an env reference")
            #expect(!view.keyPaths().contains { $0 == "api_key" || $0.hasSuffix(".api_key") })
        }
    }

    @Test func modelGroupsMatchLiteLLMs() throws {
        let reference = try Fixtures.reference("model_group_info.json")
        let groups = ModelGroupView.groups(try Fixtures.deployments(), costMap: try Fixtures.costMap())
        #expect(groups.map { $0["model_group"] } == reference.map { $0["model_group"] })
        for (ours, theirs) in zip(groups, reference) {
            let name = ours["model_group"]?.stringValue ?? "?"
            #expect(ours.objectValue?.keys.sorted() == theirs.objectValue?.keys.sorted(), "\(name): keys differ")
            for (key, value) in theirs.objectValue ?? [:] where !Self.providerCodeKeys.contains(key) {
                #expect(Self.same(ours[key], value), "\(name).\(key) is \(String(describing: ours[key])), LiteLLM says \(value)")
            }
        }
        let first = try #require(groups.first)
        #expect(first["tpm"] == 20040)
        #expect(first["rpm"] == 240)
        #expect(first["providers"] == ["openai"])
    }

    @Test func openAIModelsMatchLiteLLMsButForOwner() throws {
        let reference = try Fixtures.reference("v1_models.json")
        let groups = try Fixtures.reference("model_group_info.json")
        let models = OpenAIModelView.models(try Fixtures.deployments(), costMap: try Fixtures.costMap())
        #expect(models.map { $0["id"] } == reference.map { $0["id"] })
        for ((ours, theirs), group) in zip(zip(models, reference), groups) {
            let name = ours["id"]?.stringValue ?? "?"
            #expect(ours.objectValue?.keys.sorted() == theirs.objectValue?.keys.sorted(), "\(name): keys differ")
            #expect(ours["object"] == "model")
            #expect(ours["created"] == theirs["created"])
            #expect(ours["owned_by"] == group["providers"]?.arrayValue?.first, "\(name): the real provider")
            if group["mode"]?.isNull == false {
                for key in ["mode", "max_input_tokens", "max_output_tokens"] {
                    #expect(Self.same(ours[key], theirs[key]), "\(name).\(key)")
                }
            } else {
                // The cost map lacks the model; LiteLLM's /v1/models guesses from elsewhere, as its
                // own /model_group/info does not. We say unknown, consistently.
                #expect(ours["mode"] == .null && ours["max_input_tokens"] == .null)
            }
        }
        #expect(models.first?["owned_by"] == "openai")
        #expect(models.dropFirst(2).first?["owned_by"] == "azure")
    }
}
