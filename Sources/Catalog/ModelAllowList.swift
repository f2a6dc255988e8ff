/// A key's allow-list of model names, as the policy reads it.
///
/// LiteLLM spells "every model" in a key's `models` as `"*"`, `"all-proxy-models"` or (for team
/// keys) `"all-team-models"`; here each of them means every model the key's tenant may see, and so
/// does no list at all. Any other entry is one model name, compared byte for byte (`ExactID`): an
/// entry such as `"a,b"` or `"x|*"` names the model called exactly that, never two models or a
/// pattern. (LiteLLM's provider wildcards such as `"openai/*"` are refused when a key is minted, and a
/// stored one matches only a model of that very name.) A stored empty list allows nothing: it is
/// what the row says, and reading it more widely would widen old keys.
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

    public func allows(_ name: String) -> Bool {
        switch self {
        case .all: true
        case .only(let names): names.contains(ExactID(name))
        }
    }

    /// Whether every model this list allows, `other` allows too.
    public func isWithin(_ other: ModelAllowList) -> Bool {
        switch (self, other) {
        case (_, .all): true
        case (.all, .only): false
        case (.only(let mine), .only(let theirs)): mine.isSubset(of: theirs)
        }
    }

    /// The names both lists allow: a key of a team may use only what its own list and its
    /// team's list both allow.
    public func intersection(_ other: ModelAllowList) -> ModelAllowList {
        switch (self, other) {
        case (.all, _): other
        case (_, .all): self
        case (.only(let mine), .only(let theirs)): .only(mine.intersection(theirs))
        }
    }

    /// This (a key's) list narrowed by its team's `models` (`tenants.models`). A team's list is
    /// read as LiteLLM reads it: nil or empty means no restriction (LiteLLM's `models: []`),
    /// unlike a key's stored empty list.
    public func narrowed(byTeam teamModels: [String]?) -> ModelAllowList {
        guard let teamModels, !teamModels.isEmpty else { return self }
        return intersection(ModelAllowList(teamModels))
    }

    /// The list as stored in `api_keys.models` (nil: no restriction), in byte order.
    public var stored: [String]? {
        switch self {
        case .all: nil
        case .only(let names): names.sorted().map(\.text)
        }
    }
}
