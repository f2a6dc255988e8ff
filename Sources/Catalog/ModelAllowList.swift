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
public enum ModelAllowList: Sendable, Hashable {
    /// Every model the tenant may see.
    case all
    /// Exactly these model names.
    case only(Set<ExactID>)

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
        }
    }

    /// Whether the list allows a deployment named `name` that carries the access groups
    /// `accessGroups`: by its name, or by one of its groups. The groups are read only when the
    /// name alone does not decide (most deployments carry none).
    public func allows(_ name: String, accessGroups: () -> [String]) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(ExactID(name)) || accessGroups().contains { names.contains(ExactID($0)) }
        }
    }

    /// Whether the list allows `deployment`, by its name or one of its access groups.
    public func allows(_ deployment: Deployment) -> Bool {
        allows(deployment.modelName, accessGroups: { deployment.accessGroups })
    }

    /// Whether the list names the access group `group` itself (every model: every group).
    public func grantsGroup(_ group: String) -> Bool { allows(group) }

    /// Whether every model this list allows, `other` allows too.
    public func isWithin(_ other: ModelAllowList) -> Bool {
        switch (self, other) {
        case (_, .all): true
        case (.all, .only): false
        case (.only(let mine), .only(let theirs)): mine.isSubset(of: theirs)
        }
    }

    /// The list as stored in `api_keys.models` (nil: no restriction), in byte order.
    public var stored: [String]? {
        switch self {
        case .all: nil
        case .only(let names): names.sorted().map(\.text)
        }
    }
}
