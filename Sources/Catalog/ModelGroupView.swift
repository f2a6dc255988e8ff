/// LiteLLM's `/model_group/info`: one aggregate per `model_name`, in order of first appearance.
///
/// Across a group's deployments: limits and prices are the largest known (a client sizing a request
/// or budgeting must plan for the most any deployment allows or costs; LiteLLM writes the limits as
/// floats, `128000.0`, we keep the numbers as configured), `mode` and `description` are the first
/// known, `tpm`/`rpm`/`itpm`/`otpm` are summed (null when no deployment sets one), a `supports_*`
/// flag is true when any deployment supports it, `providers` are distinct and sorted.
public enum ModelGroupView {
    static let largestKeys = [
        "max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
        "input_cost_per_pixel",
    ]
    static let summedKeys = ["tpm", "rpm", "itpm", "otpm"]
    static let flagKeys = [
        "supports_parallel_function_calling", "supports_vision", "supports_web_search", "supports_url_context",
        "supports_reasoning", "supports_function_calling", "supports_fast_mode",
    ]

    public static func groups(_ deployments: [Deployment], costMap: CostMap) -> [JSONValue] {
        ModelGroup.partition(deployments, costMap: costMap).map(json)
    }

    static func json(_ group: ModelGroup) -> JSONValue {
        var members: [String: JSONValue] = [
            "model_group": .string(group.name),
            "providers": .array(group.providers.map { .string($0) }),
            "mode": group.first("mode"),
            "description": group.first("description"),
            // LiteLLM derives this from provider code ([] for gpt-4o, null for Claude); the cost
            // map's reasoning_effort_levels is the data we have.
            "supported_reasoning_efforts": group.union("reasoning_effort_levels"),
            // Configured per deployment only (see ModelInfoEnrichment): null unless configured.
            "supported_openai_params": group.union("supported_openai_params"),
            // The key's name has the piece "auth", so Redaction masks it in litellm_params; showing
            // its value here would go around that.
            "configurable_clientside_auth_params": .null,
            // No public model groups or health checks in the catalog.
            "is_public_model_group": false,
            "health_status": .null,
            "health_response_time": .null,
            "health_checked_at": .null,
        ]
        for key in largestKeys { members[key] = group.largest(key) }
        for key in summedKeys { members[key] = group.sum(key) }
        for key in flagKeys { members[key] = .bool(group.anyTrue(key)) }
        return .object(members)
    }
}

/// The deployments sharing a `model_name`, with what the group views read of each; the one place
/// that says how a group's values are drawn from its deployments.
struct ModelGroup {
    struct Member {
        var deployment: Deployment
        /// The enriched `model_info`; nil for a view that reads only keys shown from the cost map
        /// (`OpenAIModelView`), which `layers` gives as `enrich` would, without building the rest.
        var info: [String: JSONValue]?
        /// Where each shown value comes from (with the cost-map entry).
        var layers: ModelInfoEnrichment.ShownLayers

        var costEntry: [String: JSONValue]? { layers.found?.entry }

        /// The shown `model_info` value of `key`.
        func shown(_ key: String) -> JSONValue? {
            info.map { $0[key] } ?? layers.value(key)
        }
    }

    var name: String
    var members: [Member]

    /// Groups in order of first appearance, deployments in their given order within each.
    /// `enriched: false` leaves out each member's whole `model_info`, for views that read only
    /// keys shown from the cost map (`mapKeys`): a cold `/v1/models` spent most of its time
    /// enriching views it did not show.
    static func partition(_ deployments: [Deployment], costMap: CostMap, enriched: Bool = true) -> [ModelGroup] {
        var groups: [ModelGroup] = []
        // Byte-exact names, as LiteLLM's router and the database tell them apart.
        var index: [ExactID: Int] = [:]
        for deployment in deployments {
            let layers = ModelInfoEnrichment.ShownLayers(deployment, costMap: costMap)
            let member = Member(
                deployment: deployment,
                info: enriched ? ModelInfoEnrichment.enrich(deployment, costMap: costMap, layers: layers) : nil,
                layers: layers)
            if let position = index[ExactID(deployment.modelName)] {
                groups[position].members.append(member)
            } else {
                index[ExactID(deployment.modelName)] = groups.count
                groups.append(ModelGroup(name: deployment.modelName, members: [member]))
            }
        }
        return groups
    }

    /// Each member's known value of `key`: its enriched `model_info`, else its cost-map entry (which
    /// holds fields LiteLLM keeps out of `model_info`, such as `supports_fast_mode`).
    func values(_ key: String) -> [JSONValue] {
        members.compactMap { member in
            if let value = member.shown(key), !value.isNull { return value }
            if let value = member.costEntry?[key], !value.isNull { return value }
            return nil
        }
    }

    func first(_ key: String) -> JSONValue { values(key).first ?? .null }

    func largest(_ key: String) -> JSONValue {
        let numbers = values(key).compactMap { value in value.doubleValue.map { (value, $0) } }
        return numbers.max { $0.1 < $1.1 }?.0 ?? .null
    }

    func anyTrue(_ key: String) -> Bool { values(key).contains(.bool(true)) }

    /// The distinct elements of the members' lists, in order of first appearance; null when none has one.
    func union(_ key: String) -> JSONValue {
        let lists = values(key).compactMap(\.arrayValue)
        guard !lists.isEmpty else { return .null }
        var seen: Set<JSONValue> = []
        return .array(lists.joined().filter { seen.insert($0).inserted })
    }

    /// A rate limit summed over the members that set one in `litellm_params` (else in their own
    /// `model_info`); null when none does. Limits from the cost map are the provider's, not ours.
    func sum(_ key: String) -> JSONValue {
        let limits = members.compactMap { member in
            (member.deployment.litellmParams[key] ?? member.deployment.modelInfo[key])?.intValue
        }
        return limits.isEmpty ? .null : .int(limits.reduce(0, +))
    }

    var providers: [String] {
        Set(members.map { Provider.of($0.deployment, costEntry: $0.costEntry) }).sorted()
    }
}
