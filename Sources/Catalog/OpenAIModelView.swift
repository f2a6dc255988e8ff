import Foundation

/// OpenAI's `/v1/models` objects, one per `model_name`, with the extra keys LiteLLM adds
/// (`mode`, `max_input_tokens`, `max_output_tokens`, drawn as in `ModelGroupView`).
public enum OpenAIModelView {
    /// `created` when no deployment of the group has a creation time: LiteLLM's constant.
    public static let defaultCreated = 1_677_610_602

    /// All groups, in order of first appearance.
    public static func models(_ deployments: [Deployment], costMap: CostMap) -> [JSONValue] {
        ModelGroup.partition(deployments, costMap: costMap, enriched: false).map(json)
    }

    /// The object for `name`; nil when no deployment has that `model_name`.
    public static func model(named name: String, in deployments: [Deployment], costMap: CostMap) -> JSONValue? {
        let members = deployments.filter { ExactID($0.modelName) == ExactID(name) }
        return ModelGroup.partition(members, costMap: costMap, enriched: false).first.map(json)
    }

    /// Reads only `mapKeys` of the members' `model_info` (so `partition(enriched: false)` serves it).
    static func json(_ group: ModelGroup) -> JSONValue {
        let created = group.members.compactMap(\.deployment.createdAt).min()
        let owner = group.members.first.map { Provider.of($0.deployment, costEntry: $0.costEntry) } ?? "openai"
        return [
            "id": .string(group.name),
            "object": "model",
            // Whole seconds, as OpenAI writes it.
            "created": .int(created.map { Int($0.timeIntervalSince1970.rounded(.down)) } ?? defaultCreated),
            // The first deployment's provider: a group mixing providers has no single owner.
            "owned_by": .string(owner),
            "mode": group.first("mode"),
            "max_input_tokens": group.largest("max_input_tokens"),
            "max_output_tokens": group.largest("max_output_tokens"),
        ]
    }
}
