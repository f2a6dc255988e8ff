/// A key's allow-list of model names, as the policy reads it.
///
/// LiteLLM spells "every model" in a key's `models` as `"*"`, `"all-proxy-models"` or (for team
/// keys) `"all-team-models"`; here each of them means every model the key's tenant may see, and so
/// does no list at all. Any other entry is one model name, compared byte for byte (`ExactID`): an
/// entry such as `"a,b"` or `"x|*"` names the model called exactly that, never two models or a
/// pattern. (LiteLLM's provider wildcards such as `"openai/*"` are refused when a key is minted, and a
/// stored one matches only a model of that very name.) A stored empty list allows nothing: it is
/// what the row says, and reading it more widely would widen old keys.
///
/// An entry may also name an access group (a deployment's `model_info.access_groups`): it allows
/// every deployment carrying that group, and nothing else. A group no deployment carries allows
/// nothing (LiteLLM #26656/#28464 let an access group with no models grant every model: here an
/// entry only ever adds the deployments it names, so an empty group adds none). Groups widen
/// nothing beyond the tenant rule: the policy applies the list only to models the tenant may see.
public indirect enum ModelAllowList: Sendable, Hashable {
    /// Every model the tenant may see.
    case all
    /// Exactly these model names (and the deployments of these access groups).
    case only(Set<ExactID>)
    /// What both lists allow: a team key's own list and its team's. Kept as two lists rather than
    /// the intersection of their entries, since an entry may be an access group: a key listing
    /// `gpt-4o` in a team listing the group `prod` that holds it may use it.
    case both(ModelAllowList, ModelAllowList)

    /// The entries that mean "every model".
    public static let everyModel: Set<String> = ["*", "all-proxy-models", "all-team-models"]

    /// The list a stored or presented `models` value means (nil: no restriction).
    public init(_ models: [String]?) {
        guard let models else {
            self = .all
            return
        }
        self = models.contains(where: { entry in Self.everyModel.contains { ExactID($0) == ExactID(entry) } })
            ? .all : .only(Set(models.map { ExactID($0) }))
    }

    /// Whether the list allows the model name `name` (by name only).
    public func allows(_ name: String) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(ExactID(name))
        case .both(let first, let second): first.allows(name) && second.allows(name)
        }
    }

    /// Whether the list allows a deployment named `name` that carries the access groups
    /// `accessGroups`: by its name, or by one of its groups. The groups are read only when the
    /// name alone does not decide (most deployments carry none).
    public func allows(_ name: String, accessGroups: () -> [String]) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(ExactID(name)) || accessGroups().contains { names.contains(ExactID($0)) }
        case .both(let first, let second): first.allows(name, accessGroups: accessGroups) && second.allows(name, accessGroups: accessGroups)
        }
    }

    /// Whether the list allows `deployment`, by its name or one of its access groups.
    public func allows(_ deployment: Deployment) -> Bool {
        allows(deployment.modelName, accessGroups: { deployment.accessGroups })
    }

    /// Whether the list names the access group `group` itself (every model: every group).
    public func grantsGroup(_ group: String) -> Bool { allows(group) }

    /// Whether every model this list allows, `other` allows too (judged by entries, so a list is
    /// within another only when its entries are: never wider than it may be).
    public func isWithin(_ other: ModelAllowList) -> Bool {
        switch (self, other) {
        case (_, .all): true
        case (_, .both(let first, let second)): isWithin(first) && isWithin(second)
        case (.all, .only): false
        case (.only(let mine), .only(let theirs)): mine.isSubset(of: theirs)
        case (.both(let first, let second), .only): first.isWithin(other) || second.isWithin(other)
        }
    }

    /// What both lists allow: a key of a team may use only what its own list and its team's list
    /// both allow.
    public func intersection(_ other: ModelAllowList) -> ModelAllowList {
        switch (self, other) {
        case (.all, _): other
        case (_, .all): self
        default: .both(self, other)
        }
    }

    /// This (a key's) list narrowed by its team's `models` (`tenants.models`). A team's list is
    /// read as LiteLLM reads it: nil or empty means no restriction (LiteLLM's `models: []`),
    /// unlike a key's stored empty list.
    public func narrowed(byTeam teamModels: [String]?) -> ModelAllowList {
        guard let teamModels, !teamModels.isEmpty else { return self }
        return intersection(ModelAllowList(teamModels))
    }
}
