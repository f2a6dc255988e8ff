import Catalog
import Foundation
import Testing

/// The access-group rule of the allow-list and the policy, and the listing built on it
/// (`ModelListing`): pure, so every case runs in milliseconds.
@Suite("Access groups, aliases, wildcards, blocking: the rules")
struct AccessGroupRuleTests {
    static func model(_ id: String, _ name: String, tenant: String? = nil, groups: [String]? = nil, blocked: Bool? = nil,
                      model: String = "openai/gpt-4o") -> Deployment {
        var info: [String: JSONValue] = ["id": .string(id)]
        if let groups { info["access_groups"] = .array(groups.map(JSONValue.string)) }
        if let blocked { info["blocked"] = .bool(blocked) }
        return Deployment(id: id, tenantID: tenant, modelName: name, litellmParams: ["model": .string(model)], modelInfo: info)
    }

    static let catalog = [
        model("s-gpt", "gpt-4o", groups: ["prod"]),
        model("s-claude", "claude", groups: ["beta"]),
        model("s-mini", "gpt-4o-mini"),
        model("a-gpt", "a-gpt", tenant: "A", groups: ["prod"]),
        model("a-other", "a-other", tenant: "A"),
        model("b-gpt", "b-gpt", tenant: "B", groups: ["prod"]),
    ]

    static func member(_ tenant: String, _ models: [String]?, aliases: [String: String] = [:]) -> Principal {
        Principal(role: .tenantMember, tenantID: tenant, allowedModels: models, actor: "key:\(tenant)", aliases: aliases)
    }

    static func visibleIDs(_ principal: Principal, _ deployments: [Deployment] = catalog) -> Set<String> {
        Set(AccessPolicy.visible(deployments, to: principal).map(\.id))
    }

    @Test("an allow-list entry naming a group allows every deployment carrying it, by name or group")
    func groupAllows() {
        let list = ModelAllowList(["prod"])
        #expect(list.allows(Self.catalog[0]))
        #expect(!list.allows(Self.catalog[1]))
        #expect(!list.allows("gpt-4o"), "the name alone is not in the list")
        #expect(ModelAllowList(["claude"]).allows(Self.catalog[1]))
        #expect(ModelAllowList(nil).allows(Self.catalog[1]))
    }

    @Test("a key's list and its team's are both applied, each by name or group: a name in a team's group is allowed")
    func keyAndTeamLists() {
        // The key names a model; the team grants a group holding it: both allow it.
        let inGroup = Principal(role: .tenantMember, tenantID: "A", allowedModels: ["a-gpt"], actor: "key:k", teamModels: ["prod"])
        #expect(Self.visibleIDs(inGroup) == ["a-gpt"])
        // The team's group does not hold the key's other name: nothing of it.
        let outside = Principal(role: .tenantMember, tenantID: "A", allowedModels: ["a-other"], actor: "key:k", teamModels: ["prod"])
        #expect(Self.visibleIDs(outside).isEmpty)
        // The key grants a group, the team names one of its models: only that one.
        let groupKey = Principal(role: .tenantMember, tenantID: "A", allowedModels: ["prod"], actor: "key:k", teamModels: ["gpt-4o"])
        #expect(Self.visibleIDs(groupKey) == ["s-gpt"])
        // Judged by entries, a list is within both lists only when its entries are within each.
        #expect(ModelAllowList(["a-gpt"]).isWithin(.both(ModelAllowList(["a-gpt", "x"]), ModelAllowList(["a-gpt"]))))
        #expect(!ModelAllowList(["a-gpt"]).isWithin(inGroup.allowList), "not by entries: the team lists a group")
        #expect(!ModelAllowList(nil).isWithin(inGroup.allowList))
        #expect(inGroup.allowList.isWithin(ModelAllowList(["prod"])))
    }

    @Test("a key granted a group sees exactly its tenant's and the shared deployments in it")
    func groupWithinTenant() {
        #expect(Self.visibleIDs(Self.member("A", ["prod"])) == ["s-gpt", "a-gpt"])
        #expect(Self.visibleIDs(Self.member("B", ["prod"])) == ["s-gpt", "b-gpt"])
        #expect(Self.visibleIDs(Self.member("A", ["prod", "a-other"])) == ["s-gpt", "a-gpt", "a-other"])
        #expect(Self.visibleIDs(Self.member("C", ["prod"])) == ["s-gpt"])
    }

    @Test("an empty group, or one nobody may see, grants nothing (LiteLLM #26656/#28464)")
    func emptyGroupGrantsNothing() {
        // No deployment carries "empty"; a deployment with an empty list carries nothing.
        let withEmptyList = Self.catalog + [Self.model("a-empty", "a-empty", tenant: "A", groups: [])]
        #expect(Self.visibleIDs(Self.member("A", ["empty"]), withEmptyList).isEmpty)
        #expect(Self.visibleIDs(Self.member("A", []), withEmptyList).isEmpty)
        // "b-only" is carried only by B's model: to A it is an empty group.
        let bOnly = Self.catalog + [Self.model("b-x", "b-x", tenant: "B", groups: ["b-only"])]
        #expect(Self.visibleIDs(Self.member("A", ["b-only"]), bOnly).isEmpty)
        #expect(ModelListing.entries(bOnly, principal: Self.member("A", ["b-only"]), aliases: [], costMap: CostMap(),
                                     options: .init(includeAccessGroups: true)).isEmpty)
    }

    @Test("the policy decides with a model's groups: read, change and create")
    func policyDecides() {
        let admin = Principal(role: .tenantAdmin, tenantID: "A", allowedModels: ["prod"], actor: "key:a-admin")
        let tagged = AccessPolicy.Resource.model(tenant: "A", name: "x", accessGroups: ["prod"])
        let untagged = AccessPolicy.Resource.model(tenant: "A", name: "x")
        #expect(AccessPolicy.decide(admin, .read, tagged) == .allowed)
        #expect(AccessPolicy.decide(admin, .change, tagged) == .allowed)
        #expect(AccessPolicy.decide(admin, .create, tagged) == .allowed)
        #expect(AccessPolicy.decide(admin, .read, untagged) == .hidden)
        #expect(AccessPolicy.decide(admin, .create, untagged) != .allowed)
        #expect(AccessPolicy.decide(admin, .read, .model(tenant: "B", name: "x", accessGroups: ["prod"])) == .hidden)
    }

    @Test("group names that mean every model are refused")
    func everyModelIsNoGroup() {
        for name in ["*", "all-proxy-models", "all-team-models", ""] {
            #expect(throws: CatalogError.self) { try AccessGroups.checkName(name) }
        }
        #expect(throws: CatalogError.self) {
            _ = try ModelInput.newDeployment(from: ["model_name": "m", "litellm_params": ["model": "openai/x"],
                                                    "model_info": ["access_groups": ["*"]]])
        }
        #expect(throws: CatalogError.self) {
            _ = try ModelInput.newDeployment(from: ["model_name": "m", "litellm_params": ["model": "openai/x"],
                                                    "model_info": ["access_groups": "prod"]])
        }
    }

    @Test("model_info.access_groups is no secret (its piece 'access' is): stored, held and shown as written")
    func accessGroupsArePublic() throws {
        let deployment = Self.model("x", "x", groups: ["prod"])
        #expect(deployment.heldForDisplay.accessGroups == ["prod"])
        let (stored, secrets) = try SecretSplit.split(deployment)
        #expect(secrets.isEmpty && stored.accessGroups == ["prod"])
        #expect(ModelInfoEnrichment.enrich(deployment, costMap: CostMap())["access_groups"] == .array(["prod"]))
    }

    @Test("groups as a caller sees them: names and deployments it may see only")
    func groupViews() {
        let groups = AccessGroups.groups(in: AccessPolicy.visible(Self.catalog, to: Self.member("A", nil)))
        #expect(groups.map(\.name) == ["beta", "prod"])
        #expect(groups[1].deployments.map(\.id) == ["s-gpt", "a-gpt"])
        #expect(groups[1].json["model_names"] == .array(["a-gpt", "gpt-4o"]))
        #expect(AccessGroups.group("prod", in: AccessPolicy.visible(Self.catalog, to: Self.member("C", nil)))?.deployments.map(\.id) == ["s-gpt"])
    }

    @Test("update ids: top-level id, model_info.id, both when equal")
    func updateID() throws {
        #expect(try ModelInput.updateID(from: ["id": "m-1", "litellm_params": ["rpm": 1]]) == "m-1")
        #expect(try ModelInput.updateID(from: ["model_info": ["id": "m-1"]]) == "m-1")
        #expect(try ModelInput.updateID(from: ["id": "m-1", "model_info": ["id": "m-1"]]) == "m-1")
        #expect(throws: CatalogError.self) { try ModelInput.updateID(from: ["id": "m-1", "model_info": ["id": "m-2"]]) }
        #expect(throws: CatalogError.self) { try ModelInput.updateID(from: ["litellm_params": ["rpm": 1]]) }
    }

    static func ids(_ entries: [ModelListing.Entry]) -> [String] { entries.map(\.id) }

    @Test("listing: blocked deployments are left out; a group with one unblocked deployment stays")
    func blockedListing() {
        let deployments = [
            Self.model("g1", "g"), Self.model("g2", "g", blocked: true), Self.model("h1", "h", blocked: true),
        ]
        #expect(Self.ids(ModelListing.entries(deployments, principal: .master, aliases: [], costMap: CostMap())) == ["g"])
    }

    @Test("listing: access groups only on request, and only those the caller's list grants whole")
    func listingGroups() {
        let all = ModelListing.entries(Self.catalog, principal: Self.member("A", nil), aliases: [], costMap: CostMap(),
                                       options: .init(includeAccessGroups: true))
        #expect(Self.ids(all) == ["gpt-4o", "claude", "gpt-4o-mini", "a-gpt", "a-other", "prod", "beta"])
        let only = ModelListing.entries(Self.catalog, principal: Self.member("A", ["prod", "claude"]), aliases: [], costMap: CostMap(),
                                        options: .init(onlyAccessGroups: true))
        #expect(Self.ids(only) == ["prod"], "claude is granted by name, not its group beta")
        let plain = ModelListing.entries(Self.catalog, principal: Self.member("A", ["prod"]), aliases: [], costMap: CostMap())
        #expect(Self.ids(plain) == ["gpt-4o", "a-gpt"])
    }

    @Test("listing: aliases name only models the caller lists; hidden ones are not listed")
    func listingAliases() {
        let router = [
            ModelGroupAlias(alias: "fast", modelGroup: "gpt-4o-mini"),
            ModelGroupAlias(alias: "secret", modelGroup: "gpt-4o", hidden: true),
            ModelGroupAlias(alias: "their", modelGroup: "b-gpt"),
        ]
        let a = Self.member("A", nil, aliases: ["mine": "a-gpt", "b": "b-gpt", "gpt-4o": "a-other"])
        let entries = ModelListing.entries(Self.catalog, principal: a, aliases: router, costMap: CostMap())
        #expect(Self.ids(entries) == ["gpt-4o", "claude", "gpt-4o-mini", "a-gpt", "a-other", "fast", "mine"])
        let fast = entries.first { $0.id == "fast" }?.object
        #expect(fast?["owned_by"] == "openai" && fast?["id"] == "fast")
        #expect(ModelListing.entry("mine", in: Self.catalog, principal: a, aliases: router, costMap: CostMap())?["id"] == "mine")
        #expect(ModelListing.entry("their", in: Self.catalog, principal: a, aliases: router, costMap: CostMap()) == nil)
        #expect(ModelListing.entry("secret", in: Self.catalog, principal: a, aliases: router, costMap: CostMap()) == nil)
        // B sees b-gpt: the same router alias resolves for B, to B's model.
        #expect(ModelListing.entry("their", in: Self.catalog, principal: Self.member("B", nil), aliases: router, costMap: CostMap()) != nil)
        // A restricted key lists an alias only when it lists the alias's model.
        let restricted = Self.member("A", ["a-gpt"], aliases: ["mine": "a-gpt", "other": "a-other"])
        #expect(Self.ids(ModelListing.entries(Self.catalog, principal: restricted, aliases: router, costMap: CostMap())) == ["a-gpt", "mine"])
    }

    @Test("listing: a wildcard route lists its provider's cost-map models the caller may use")
    func listingWildcards() {
        let costMap = CostMap(entries: [
            "claude-3-haiku": ["litellm_provider": "anthropic", "mode": "chat", "max_input_tokens": 200_000],
            "claude-3-opus": ["litellm_provider": "anthropic", "mode": "chat"],
            "gpt-4o": ["litellm_provider": "openai", "mode": "chat"],
            "bedrock/claude-3-opus": ["litellm_provider": "bedrock", "mode": "chat"],
        ])
        let route = Self.model("route", "anthropic/*", tenant: "A", model: "anthropic/*")
        let deployments = Self.catalog + [route]
        let admin = ModelListing.entries(deployments, principal: .master, aliases: [], costMap: costMap)
        #expect(Self.ids(admin).suffix(2) == ["anthropic/claude-3-haiku", "anthropic/claude-3-opus"])
        #expect(!Self.ids(admin).contains("anthropic/*"))
        #expect(admin.last?.object["owned_by"] == "anthropic")
        #expect(admin.first { $0.id == "anthropic/claude-3-haiku" }?.object["max_input_tokens"] == 200_000)
        let routes = ModelListing.entries(deployments, principal: .master, aliases: [], costMap: costMap, options: .init(wildcardRoutes: true))
        #expect(Self.ids(routes).contains("anthropic/*"))
        // A key naming one of the route's models sees that one; B sees none (the route is A's).
        let named = Self.member("A", ["anthropic/claude-3-opus"])
        #expect(Self.ids(ModelListing.entries(deployments, principal: named, aliases: [], costMap: costMap)) == ["anthropic/claude-3-opus"])
        #expect(Self.ids(ModelListing.entries(deployments, principal: Self.member("B", nil), aliases: [], costMap: costMap))
            .allSatisfy { !$0.hasPrefix("anthropic/") })
        // Blocked routes list nothing.
        var blockedRoute = route
        blockedRoute.modelInfo["blocked"] = true
        #expect(Self.ids(ModelListing.entries(Self.catalog + [blockedRoute], principal: .master, aliases: [], costMap: costMap))
            .allSatisfy { !$0.hasPrefix("anthropic/") })
    }

    @Test("config: router_settings.model_group_alias, string or {model, hidden}")
    func configAliases() throws {
        let config = try LiteLLMConfig.parse("""
            model_list: []
            router_settings:
              model_group_alias:
                fast: gpt-4o-mini
                quiet: {model: gpt-4o, hidden: true}
            """, file: "c.yaml")
        #expect(config.aliases == [ModelGroupAlias(alias: "fast", modelGroup: "gpt-4o-mini"),
                                   ModelGroupAlias(alias: "quiet", modelGroup: "gpt-4o", hidden: true)])
        #expect(!config.ignoredSections.contains("router_settings"))
        #expect(throws: ConfigError.self) {
            try LiteLLMConfig.parse("router_settings:\n  model_group_alias:\n    bad: {hidden: true}\n", file: "c.yaml")
        }
        #expect(try LiteLLMConfig.parse("model_list: []\n", file: "c.yaml").aliases == nil)
    }
}
