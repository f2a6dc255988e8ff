/// Who may do what to which object: the one access policy of the catalog.
///
/// Every path that reads, creates or changes something asks here: the HTTP API, config loaded at
/// start, `import-config`, and the snapshot of rows written with plain SQL (whose `tenant_id` is
/// the owner as written). Controllers, loaders and caches compare no roles or tenants themselves.
///
/// The rules:
/// - An admin may do everything, across tenants.
/// - A tenant key sees its own tenant's models and the shared ones (no tenant), narrowed by the
///   key's allow-list of model names. A model it may not see is *hidden*: reported exactly like one
///   that does not exist.
/// - A tenant admin creates, changes, moves and deletes its own tenant's models (never shared
///   ones), reads its team and the team's keys, and makes and deletes keys of its team.
/// - A tenant member reads; it changes nothing.
/// - Teams are made and deleted by admins; the cost map is reloaded by admins and read by anyone
///   with a key.
/// - A model's history is read by admins and by the keys that may see the model as its own
///   tenant's (a shared model's history names admin keys, and is for admins).
/// - Every key may read itself.
public enum AccessPolicy {
    /// What a principal asks to do.
    public enum Access: String, Sendable, Hashable, CaseIterable {
        case read, create, change, delete
    }

    /// The object asked about, described by what the policy needs to know of it.
    public enum Resource: Sendable, Hashable {
        /// A deployment owned by `tenant` (nil: shared) with the public name `name`.
        case model(tenant: String?, name: String)
        /// The change history of a model; `tenant` and `name` are its latest known state.
        case history(tenant: String?, name: String)
        /// A team (tenant) of the catalog.
        case team(id: String)
        /// The keys of a team, as /team/info lists them.
        case teamKeys(team: String)
        /// An API key of `tenant` with `role`; `isCaller`: the very key the request authenticated with.
        case key(tenant: String?, role: Principal.Role, isCaller: Bool)
        /// LiteLLM's cost map.
        case costMap
    }

    /// The policy's answer.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Not even its existence may be told: the caller gets "not found".
        case hidden
        /// The caller may see it but not do this; the reason is for the error message.
        case forbidden(String)

        public var isAllowed: Bool { self == .allowed }
    }

    /// The decision for `principal` doing `access` to `resource`.
    public static func decide(_ principal: Principal, _ access: Access, _ resource: Resource) -> Decision {
        if principal.role == .admin { return .allowed }
        let own = principal.tenantID
        let admin = principal.role == .tenantAdmin
        switch resource {
        case .model(let tenant, let name):
            if access == .create {
                guard admin else { return .forbidden(readOnly(principal)) }
                return tenant != nil && tenant == own ? .allowed : .forbidden("a tenant admin can only manage its own team's models")
            }
            guard readsModel(tenant: tenant, name: name, own: own, allowed: principal.allowedModels) else { return .hidden }
            if access == .read { return .allowed }
            guard admin else { return .forbidden(readOnly(principal)) }
            return tenant == nil ? .forbidden("a tenant admin cannot change or delete shared models") : .allowed
        case .history(let tenant, let name):
            // Only the model's own tenant's keys: a shared model's history is for admins.
            guard tenant != nil, readsModel(tenant: tenant, name: name, own: own, allowed: principal.allowedModels) else { return .hidden }
            return access == .read ? .allowed : .forbidden("history cannot be changed")
        case .team(let id):
            guard access == .read else { return .forbidden("only an admin can create, change or delete teams") }
            return id == own ? .allowed : .hidden
        case .teamKeys(let team):
            return team == own && admin ? .allowed : .hidden
        case .key(let tenant, let role, let isCaller):
            let ofOwnTeam = admin && tenant != nil && tenant == own
            switch access {
            case .read: return ofOwnTeam || isCaller ? .allowed : .hidden
            case .create:
                guard admin else { return .forbidden("this key cannot create keys (role \(principal.role.rawValue))") }
                guard tenant == own else { return .forbidden("a tenant admin can only create keys for its own team") }
                return role == .admin ? .forbidden("a tenant admin cannot create admin keys") : .allowed
            case .change, .delete:
                guard ofOwnTeam || isCaller else { return .hidden }
                return ofOwnTeam ? .allowed : .forbidden("this key cannot delete other keys")
            }
        case .costMap:
            return access == .read ? .allowed : .forbidden("only an admin can change the cost map")
        }
    }

    private static func readOnly(_ principal: Principal) -> String {
        "this key can read models but not change them (role \(principal.role.rawValue))"
    }

    /// Throws unless allowed: `notFound(hiddenMessage)` when hidden, `forbidden` otherwise.
    public static func authorize(_ principal: Principal, _ access: Access, _ resource: Resource,
                                 hiddenMessage: @autoclosure () -> String = "not found") throws {
        switch decide(principal, access, resource) {
        case .allowed: return
        case .hidden: throw CatalogError.notFound(message: hiddenMessage())
        case .forbidden(let reason): throw CatalogError.forbidden(message: reason)
        }
    }

    // MARK: Models

    /// The deployments `principal` may see, in their order. `tenantFilter` (`?team_id=`) narrows
    /// an admin's list to one tenant's models; a tenant key is already narrowed to its own and the
    /// shared ones, so for it the filter is ignored, as before. The same rule as `decide(_, .read,
    /// .model)`, with the principal's part worked out once rather than per deployment: this runs
    /// over the whole catalog on every uncached read.
    public static func visible(_ deployments: [Deployment], to principal: Principal, tenantFilter: String? = nil) -> [Deployment] {
        switch readScope(of: principal) {
        case .everything:
            guard let tenantFilter else { return deployments }
            return deployments.filter { $0.tenantID == tenantFilter }
        case .tenant(let own, let allowedModels):
            let allowed = allowedModels.map(Set.init)
            return deployments.filter { readsModel(tenant: $0.tenantID, name: $0.modelName, own: own, allowed: allowed) }
        }
    }

    /// A tenant key's read rule for one model: its own tenant's and the shared ones, narrowed by
    /// the allow-list. The one place this is written; `decide` and `visible` both call it.
    private static func readsModel<Names: Collection<String>>(tenant: String?, name: String, own: String?, allowed: Names?) -> Bool {
        guard tenant == nil || tenant == own else { return false }
        return allowed.map { $0.contains(name) } ?? true
    }

    /// The tenant a model gets when `principal` creates it, or moves it with `requested`
    /// (`model_info.team_id`; nil: shared). Admins place models freely; a tenant admin's models
    /// are its tenant's, and naming another team is refused.
    public static func tenant(forModelBy principal: Principal, requested: String?) throws -> String? {
        let tenant = principal.role == .tenantAdmin ? (requested ?? principal.tenantID) : requested
        try authorize(principal, .create, .model(tenant: tenant, name: ""))
        return tenant
    }

    /// Throws unless `principal` may change (or delete) `deployment`: not found when it may not
    /// see it, forbidden when it may see but not change it.
    public static func authorizeChange(of deployment: Deployment, by principal: Principal, _ access: Access = .change) throws {
        try authorize(principal, access, .model(tenant: deployment.tenantID, name: deployment.modelName),
                      hiddenMessage: "model '\(deployment.id)' not found")
    }

    // MARK: Keys

    /// The role and tenant of a key `principal` asks to create with `team` and `role`. Without a
    /// team the key is an admin key, which must be asked for explicitly (`role: admin`), so that a
    /// bare call never mints one by accident; a tenant admin's keys are its team's.
    public static func newKey(by principal: Principal, team: String?, role: Principal.Role?) throws -> (Principal.Role, String?) {
        let tenant = principal.role == .tenantAdmin ? (team ?? principal.tenantID) : team
        let role = role ?? (tenant == nil && principal.role == .admin ? nil : .tenantMember)
        guard let role else {
            throw CatalogError.invalid(field: "team_id", message: "give team_id for a tenant key, or role \"admin\" for an admin key")
        }
        try authorize(principal, .create, .key(tenant: tenant, role: role, isCaller: false))
        // Every key but an admin key belongs to a team, and an admin key to none.
        if (role == .admin) != (tenant == nil) {
            throw role == .admin
                ? CatalogError.invalid(field: "role", message: "an admin key has no team_id")
                : CatalogError.invalid(field: "team_id", message: "a \(role.rawValue) key needs a team_id")
        }
        return (role, tenant)
    }

    /// Whether `principal` may read `record`; `isCaller`: it is the key the request presented.
    public static func canRead(_ record: APIKeyRecord, by principal: Principal, isCaller: Bool) -> Bool {
        decide(principal, .read, .key(tenant: record.tenantID, role: record.role, isCaller: isCaller)).isAllowed
    }

    // MARK: Reads and caches

    /// What decides a principal's visible set: two principals with the same scope see the same
    /// models, so a response cached for one may be served to the other (and to no one else).
    public enum ReadScope: Sendable, Hashable {
        case everything
        /// A tenant's models and the shared ones, narrowed by a sorted allow-list (nil: none).
        case tenant(String?, allowedModels: [String]?)
    }

    public static func readScope(of principal: Principal) -> ReadScope {
        principal.role == .admin ? .everything : .tenant(principal.tenantID, allowedModels: principal.allowedModels?.sorted())
    }
}

extension Principal {
    /// The principal of models loaded from a config file (at start or by `import-config`): the
    /// operator, who places models in any team.
    public static let config = Principal(role: .admin, actor: "config")
}
