/// LiteLLM's model access groups, as the catalog holds them: an access group is the set of
/// deployments whose `model_info.access_groups` names it (LiteLLM's `/access_group/*` endpoints
/// read and write exactly that), not an object of its own.
///
/// So a group exists for a caller while a deployment it may see carries it, and it is always
/// seen through the policy: a team's keys see a group as their team's and the shared deployments
/// carrying it, never another team's (group names are not owned: two teams may each have a
/// `prod`). Writing a group changes the deployments it tags or untags, each under the rule for
/// changing that model, in one transaction. Blocked deployments stay in their groups.
public enum AccessGroups {
    /// A group as one caller sees it: its visible deployments, in catalog order.
    public struct Group: Sendable, Hashable {
        public var name: String
        public var deployments: [Deployment]

        /// LiteLLM's `AccessGroupInfo` (no budgets here: spend 0, budget null).
        public var json: JSONValue {
            var names = Set<ExactID>()
            for deployment in deployments { names.insert(ExactID(deployment.modelName)) }
            return [
                "access_group": .string(name),
                "model_names": .array(names.sorted().map { .string($0.text) }),
                "deployment_count": .int(deployments.count),
                "spend": .double(0),
                "budget": .null,
            ]
        }
    }

    /// Every group carried by `visible` (the caller's visible deployments), in name byte order.
    public static func groups(in visible: [Deployment]) -> [Group] {
        var members: [ExactID: [Deployment]] = [:]
        for deployment in visible {
            var seen = Set<ExactID>()
            for group in deployment.accessGroups where seen.insert(ExactID(group)).inserted {
                members[ExactID(group), default: []].append(deployment)
            }
        }
        return members.keys.sorted().map { Group(name: $0.text, deployments: members[$0] ?? []) }
    }

    /// The group `name` as the caller sees it; nil when no deployment it sees carries it.
    public static func group(_ name: String, in visible: [Deployment]) -> Group? {
        let carrying = visible.filter { $0.accessGroups.contains { ExactID($0) == ExactID(name) } }
        return carrying.isEmpty ? nil : Group(name: name, deployments: carrying)
    }

    /// What a write asks for: the group's deployments named by model group (`model_names`: every
    /// deployment of each) or by id (`model_ids`, which win when both are given, as in LiteLLM).
    public struct Members: Sendable, Hashable {
        public var modelNames: [String]?
        public var modelIDs: [String]?

        public init(modelNames: [String]?, modelIDs: [String]?) {
            self.modelNames = modelNames
            self.modelIDs = modelIDs
        }

        /// The ids of the deployments named, among `visible`; a name or id the caller does not see
        /// is refused exactly like one that does not exist (400, LiteLLM's message).
        public func resolve(in visible: [Deployment]) throws -> [String] {
            if let ids = modelIDs, !ids.isEmpty {
                var chosen: [String] = []
                for id in ids {
                    guard let found = visible.first(where: { ExactID($0.id) == ExactID(id) }) else {
                        throw CatalogError.invalid(field: "model_ids", message: "Deployment with model_id '\(id)' not found")
                    }
                    if !chosen.contains(where: { ExactID($0) == ExactID(found.id) }) { chosen.append(found.id) }
                }
                return chosen
            }
            let names = modelNames ?? []
            guard !names.isEmpty else {
                throw CatalogError.invalid(field: "model_names", message: "Either model_names or model_ids must be provided and non-empty")
            }
            let wanted = Set(names.map { ExactID($0) })
            let missing = names.filter { name in !visible.contains { ExactID($0.modelName) == ExactID(name) } }
            guard missing.isEmpty else {
                throw CatalogError.invalid(field: "model_names", message: "Model(s) not found: \(missing.joined(separator: ", "))")
            }
            return visible.filter { wanted.contains(ExactID($0.modelName)) }.map(\.id)
        }
    }

    /// The name of a new group, checked: non-empty, and not a spelling of "every model".
    public static func checkName(_ name: String) throws {
        _ = try ModelInput.accessGroups(.array([.string(name)]), field: "access_group")
    }

    /// `deployment` with `group` added to (`member: true`) or removed from its access groups;
    /// other groups stay as they were, in their order.
    public static func setting(_ group: String, member: Bool, on deployment: Deployment) -> Deployment {
        var updated = deployment
        var groups = deployment.modelInfo["access_groups"]?.arrayValue ?? []
        let carries = groups.contains { $0.stringValue.map { ExactID($0) == ExactID(group) } ?? false }
        if member, !carries { groups.append(.string(group)) }
        if !member { groups.removeAll { $0.stringValue.map { ExactID($0) == ExactID(group) } ?? false } }
        updated.modelInfo["access_groups"] = .array(groups)
        return updated
    }
}
