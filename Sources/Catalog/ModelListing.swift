/// The OpenAI-compatible model list as one caller sees it (`/v1/models`, `/v1/models/{id}`):
/// the model groups it may use, then (on request) its wildcard routes, the cost map's models
/// behind those routes, its access groups, and its aliases. Listing and retrieval are one
/// computation, so an id resolves in `/v1/models/{id}` exactly when `/v1/models` lists it.
///
/// Every part starts from what the policy lets the caller see (`AccessPolicy`), and leaves
/// blocked deployments out:
/// - model groups: the visible, unblocked deployments that are no wildcard route;
/// - wildcard routes (`model_name` like `anthropic/*`): the route itself only with
///   `return_wildcard_routes`; the cost map's models of the route's provider that the caller may
///   use through it (`AccessPolicy.usesThroughWildcard`), named `provider/model`;
/// - access groups (`include_model_access_groups`, `only_model_access_groups`): the groups carried
///   by visible, unblocked deployments that the caller's allow-list grants as a whole;
/// - aliases: router aliases (not hidden) and then the key's own, each listed when it names a
///   model the caller has in this list, as that model's object under the alias's id.
///
/// A name already listed is not listed again: a real model group wins over a wildcard model, and
/// both win over an alias of the same name.
public enum ModelListing {
    /// The query flags of `/v1/models` (LiteLLM's names).
    public struct Options: Sendable, Hashable {
        /// `include_model_access_groups`: list access groups as models too.
        public var includeAccessGroups: Bool
        /// `only_model_access_groups`: list only the access groups. (LiteLLM lists nothing unless
        /// `include_model_access_groups` is set as well; here this flag alone is enough.)
        public var onlyAccessGroups: Bool
        /// `return_wildcard_routes`: list each wildcard route itself as well as its models.
        public var wildcardRoutes: Bool

        public init(includeAccessGroups: Bool = false, onlyAccessGroups: Bool = false, wildcardRoutes: Bool = false) {
            self.includeAccessGroups = includeAccessGroups
            self.onlyAccessGroups = onlyAccessGroups
            self.wildcardRoutes = wildcardRoutes
        }
    }

    /// One listed model: its id and its OpenAI object.
    public struct Entry: Sendable, Hashable {
        public var id: String
        public var object: JSONValue
    }

    /// What `principal` sees listed, in order.
    public static func entries(_ deployments: some DeploymentSource, principal: Principal, tenantFilter: String? = nil,
                               aliases: [ModelGroupAlias], costMap: CostMap, options: Options = Options()) -> [Entry] {
        let usable = AccessPolicy.visible(deployments, to: principal, tenantFilter: tenantFilter).filter { !$0.isBlocked }
        var listed = Listed()
        if !options.onlyAccessGroups {
            for group in ModelGroup.partition(usable.filter { !$0.isWildcardRoute }, costMap: costMap, enriched: false) {
                listed.add(group.name, OpenAIModelView.json(group))
            }
            let routes = AccessPolicy.tenantVisible(deployments, to: principal, tenantFilter: tenantFilter)
                .filter { $0.isWildcardRoute && !$0.isBlocked }
            if options.wildcardRoutes {
                let allowed = Set(usable.filter(\.isWildcardRoute).map { ExactID($0.id) })
                for group in ModelGroup.partition(routes.filter { allowed.contains(ExactID($0.id)) }, costMap: costMap, enriched: false) {
                    listed.add(group.name, OpenAIModelView.json(group))
                }
            }
            for route in routes {
                for model in WildcardRoute.models(of: route, in: costMap)
                where !listed.contains(model.id) && AccessPolicy.usesThroughWildcard(model.id, route: route, by: principal) {
                    listed.add(model.id, model.object)
                }
            }
        }
        if options.includeAccessGroups || options.onlyAccessGroups {
            var seen = Set<ExactID>()
            for deployment in usable {
                for group in deployment.accessGroups where seen.insert(ExactID(group)).inserted {
                    guard AccessPolicy.usesAccessGroup(group, by: principal), !listed.contains(group) else { continue }
                    listed.add(group, accessGroupObject(group), isModel: false)
                }
            }
        }
        if !options.onlyAccessGroups {
            let keyAliases = principal.aliases.sorted { ExactID($0.key) < ExactID($1.key) }
                .map { ModelGroupAlias(alias: $0.key, modelGroup: $0.value) }
            for alias in aliases.filter({ !$0.hidden }) + keyAliases where !listed.contains(alias.alias) {
                guard case .object(var members)? = listed.model(alias.modelGroup) else { continue }
                members["id"] = .string(alias.alias)
                listed.add(alias.alias, .object(members))
            }
        }
        return listed.entries
    }

    /// The listed object with id `id`, if `principal` sees one (with the default options).
    public static func entry(_ id: String, in deployments: some DeploymentSource, principal: Principal, tenantFilter: String? = nil,
                             aliases: [ModelGroupAlias], costMap: CostMap) -> JSONValue? {
        entries(deployments, principal: principal, tenantFilter: tenantFilter, aliases: aliases, costMap: costMap)
            .first { ExactID($0.id) == ExactID(id) }?.object
    }

    /// An access group listed as a model: LiteLLM's bare object for a name it knows nothing of.
    static func accessGroupObject(_ group: String) -> JSONValue {
        [
            "id": .string(group), "object": "model", "created": .int(OpenAIModelView.defaultCreated), "owned_by": "openai",
            "mode": .null, "max_input_tokens": .null, "max_output_tokens": .null,
        ]
    }

    /// The entries so far, indexed byte-exactly.
    private struct Listed {
        var entries: [Entry] = []
        var index: [ExactID: Int] = [:]
        /// Ids that are models (not access groups): what an alias may name.
        var models: Set<ExactID> = []

        func contains(_ id: String) -> Bool { index[ExactID(id)] != nil }

        func model(_ id: String) -> JSONValue? {
            guard models.contains(ExactID(id)), let position = index[ExactID(id)] else { return nil }
            return entries[position].object
        }

        mutating func add(_ id: String, _ object: JSONValue, isModel: Bool = true) {
            guard index[ExactID(id)] == nil else { return }
            index[ExactID(id)] = entries.count
            if isModel { models.insert(ExactID(id)) }
            entries.append(Entry(id: id, object: object))
        }
    }
}

/// A wildcard route (`model_name` `anthropic/*`, or `claude-*` under a `provider/` prefix): the
/// cost map's models it can serve.
public enum WildcardRoute {
    /// The pattern a route expands: its `model_name` when that has a provider prefix, else its
    /// `litellm_params.model` when that is a wildcard with one (`model_name: "*"`,
    /// `model: "openai/*"`); nil when neither says which provider.
    static func pattern(of route: Deployment) -> (provider: String, prefix: String)? {
        for candidate in [route.modelName, route.litellmModel] where candidate.contains("*") {
            guard let slash = candidate.firstIndex(of: "/"), slash != candidate.startIndex else { continue }
            let provider = String(candidate[..<slash])
            let suffix = candidate[candidate.index(after: slash)...]
            guard !provider.contains("*") else { continue }
            return (provider, String(suffix.prefix { $0 != "*" }))
        }
        return nil
    }

    /// The models the route serves: every cost-map entry of its provider (`litellm_provider`)
    /// whose name, without the provider prefix, starts with the route's prefix, named
    /// `provider/name`, in byte order, as OpenAI objects drawn from the cost map.
    public static func models(of route: Deployment, in costMap: CostMap) -> [ModelListing.Entry] {
        guard let (provider, prefix) = pattern(of: route) else { return [] }
        let created = route.createdAt.map { Int($0.timeIntervalSince1970.rounded(.down)) } ?? OpenAIModelView.defaultCreated
        var seen = Set<ExactID>()
        var models: [ModelListing.Entry] = []
        for key in costMap.entries.keys.sorted(by: { ExactID($0) < ExactID($1) }) where key != "sample_spec" {
            guard let entry = costMap[key], entry["litellm_provider"]?.stringValue == provider else { continue }
            let bare = key.hasPrefix(provider + "/") ? String(key.dropFirst(provider.count + 1)) : key
            guard bare.hasPrefix(prefix), !bare.isEmpty else { continue }
            let id = provider + "/" + bare
            guard seen.insert(ExactID(id)).inserted else { continue }
            models.append(ModelListing.Entry(id: id, object: [
                "id": .string(id), "object": "model", "created": .int(created), "owned_by": .string(provider),
                "mode": entry["mode"] ?? .null, "max_input_tokens": entry["max_input_tokens"] ?? .null,
                "max_output_tokens": entry["max_output_tokens"] ?? .null,
            ]))
        }
        return models
    }
}
