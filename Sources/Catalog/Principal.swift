import Foundation

/// Who is calling: the role and tenant of the key that authenticated the request.
public struct Principal: Sendable, Hashable {
    /// LiteLLM-style roles, named as the API names them.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// Everything, across tenants (the master key, and admin keys).
        case admin
        /// Manages its tenant's models and keys.
        case tenantAdmin = "tenant_admin"
        /// Reads its tenant's and the shared models.
        case tenantMember = "tenant_member"
        /// LiteLLM's default virtual key: no team; reads the shared models, changes nothing.
        case personal
        /// A router's key: shared (no team; reads every model) or bound to a team (reads like a
        /// member of it); the only role given the routing view (secrets opened); changes nothing.
        case gateway

        /// Whether a key of this role must belong to a team (tenant admins and members).
        public var belongsToTeam: Bool { self == .tenantAdmin || self == .tenantMember }
        /// Whether a key of this role may not belong to a team (admin and personal keys). A
        /// gateway key is neither: it may be shared or bound to one team.
        public var hasNoTeam: Bool { self == .admin || self == .personal }
    }

    public var role: Role
    /// The tenant of a tenant key (or of a team-bound gateway key); nil for admins, personal keys
    /// and shared gateway keys.
    public var tenantID: String?
    /// The key's allow-list of model names; nil allows every model the tenant may see.
    public var allowedModels: [String]?
    /// The allow-list of the key's team (`tenants.models`); nil or empty: no restriction.
    public var teamModels: [String]?
    /// Who to name in the change log: the key's id, or "master".
    public var actor: String
    /// When the key stops working; nil: never. A key it makes may not outlive it.
    public var expiresAt: Date?
    /// The key's model aliases (LiteLLM's key `aliases`): alias → model group. An alias shows and
    /// resolves only to a group the key may see (`ModelListing`).
    public var aliases: [String: String]

    public init(role: Role, tenantID: String? = nil, allowedModels: [String]? = nil, actor: String, expiresAt: Date? = nil,
                teamModels: [String]? = nil, aliases: [String: String] = [:]) {
        self.role = role
        self.tenantID = tenantID
        self.allowedModels = allowedModels
        self.teamModels = teamModels
        self.actor = actor
        self.expiresAt = expiresAt
        self.aliases = aliases
    }

    /// The key's own allow-list, without its team's: what bounds a key it makes, which is of the
    /// same team and so narrowed by the same team list anyway.
    public var keyAllowList: ModelAllowList { ModelAllowList(allowedModels) }

    /// The allow-list as the policy reads it: the key's own, narrowed by its team's.
    public var allowList: ModelAllowList { ModelAllowList(allowedModels).narrowed(byTeam: teamModels) }

    /// The token of the key that authenticated (from `actor`, "key:<token>"); nil for the master key.
    public var keyToken: String? { actor.hasPrefix("key:") ? String(actor.dropFirst(4)) : nil }

    /// The master key (and every caller when auth is explicitly turned off).
    public static let master = Principal(role: .admin, actor: "master")
}
