import Foundation

/// Who may do what to which object: the one access policy of the catalog.
///
/// Every path that reads, creates or changes something asks here: the HTTP API, config loaded at
/// start, `import-config`, and the snapshot of rows written with plain SQL (whose `tenant_id` is
/// the owner as written). Controllers, loaders and caches compare no roles or tenants themselves.
///
/// The rules:
/// - An admin may do everything, across tenants.
/// - A tenant key sees its own tenant's models and the shared ones (no tenant), narrowed by the
///   key's allow-list of model names (`ModelAllowList`). An allow-list entry that names an access
///   group (`model_info.access_groups`) allows the deployments carrying it, within that same set:
///   a group never shows or grants another team's models, and a group nothing carries grants
///   nothing. A model it may not see is *hidden*: reported exactly like one that does not exist.
/// - Access groups, blocking and unblocking are changes of the deployments they touch: whoever
///   may change a deployment may tag, untag, block or unblock it, and nobody else.
/// - Aliases (config `model_group_alias`, a key's `aliases`) resolve to a model group as the
///   caller sees it: never to a deployment the caller may not see.
/// - Tenants, keys and model names are the same only when their bytes are (`ExactID`), as in the
///   database: canonically equivalent spellings are different tenants.
/// - A tenant admin creates, changes, moves and deletes its own tenant's models (never shared
///   ones) whose names its allow-list allows, reads its team and the team's keys, and makes and
///   deletes keys of its team. A key it makes is at most itself: an allow-list within its own,
///   an expiry no later than its own.
/// - Model ids are global. A key of a team chooses a model id only in its team's namespace
///   `team:<team_id>:…` (otherwise the id is generated), and an id in that namespace belongs to
///   that team only, whoever places it: so no create can collide with a model its caller may not
///   see, and "already exists" never tells of another team's model.
/// - A tenant member reads; it changes nothing.
/// - A personal key (LiteLLM's default virtual key: no team, no role asked for) reads the shared
///   models, narrowed by its allow-list; it changes nothing, makes no keys and sees no team.
/// - A team's allow-list (`tenants.models`) narrows every key of that team, for reads and writes
///   alike: a team key's effective list is its own list intersected with its team's, worked out in
///   one place (`Principal.allowList`, `ModelAllowList.narrowed(byTeam:)`). An empty team list
///   restricts nothing, as LiteLLM's `models: []`.
/// - Keys are changed (updated, regenerated) and deleted by admins and by their team's tenant
///   admin; only an admin moves a key to another team. A key changed is bounded by whoever changes
///   it exactly as a key made is (`updatedKey`, `newKey`).
/// - Teams are made, changed (alias, metadata, models) and deleted by admins; the cost map is
///   reloaded by admins and read by anyone with a key.
/// - A model's history is read entry by entry: an entry is shown to admins, and to the keys that
///   may see every state it holds (before and after) as their own tenant's model. A shared
///   model's history names admin keys, and is for admins; an id reused by another team, or a model
///   moved between teams, shows each team only its own part.
/// - Every key may read itself.
/// - A gateway key (a router's) changes nothing and makes no keys. A shared one (no team) reads
///   every model and credential of every team, as an admin does, narrowed by its allow-list when it
///   has one; one bound to a team reads exactly as a member of that team. It is the only key given
///   the routing view (`receivesRoutingView`), which opens the secrets of every model it reads: so
///   only an admin makes, changes, regenerates or deletes one (a tenant admin minting one for its
///   team would open the shared models' secrets), and only an admin moves one between teams.
/// - A credential is shared (an admin's: no team) or a team's. Admins manage every credential; a
///   tenant admin creates, changes and deletes its own team's (never shared ones); every key of a
///   team reads its team's and the shared ones (names, team, info: never values). Another team's
///   credential is hidden. A model may use (name in `litellm_params.litellm_credential_name`) a
///   shared credential, or one of its own team: a shared model only shared ones.
public enum AccessPolicy {
    /// What a principal asks to do.
    public enum Access: String, Sendable, Hashable, CaseIterable {
        case read, create, change, delete
    }

    /// The object asked about, described by what the policy needs to know of it.
    public enum Resource: Sendable, Hashable {
        /// A deployment owned by `tenant` (nil: shared) with the public name `name`, carrying the
        /// access groups `accessGroups`.
        case model(tenant: String?, name: String, accessGroups: [String] = [])
        /// The change history of a model while it had `tenant` and `name` (one logged state).
        case history(tenant: String?, name: String)
        /// A team (tenant) of the catalog.
        case team(id: String)
        /// The keys of a team, as /team/info lists them.
        case teamKeys(team: String)
        /// An API key of `tenant` with `role`; `isCaller`: the very key the request authenticated with.
        case key(tenant: String?, role: Principal.Role, isCaller: Bool)
        /// LiteLLM's cost map.
        case costMap
        /// A reusable credential owned by `tenant` (nil: shared).
        case credential(tenant: String?)
        /// The operator's config file: planning and applying its import (`POST /config/plan`,
        /// `/config/apply`), which places models in any team, as `import-config` does.
        case config
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
        case .model(let tenant, let name, let groups):
            if access == .create {
                guard admin else { return .forbidden(readOnly(principal)) }
                guard tenant != nil && ExactID.same(tenant, own) else { return .forbidden("a tenant admin can only manage its own team's models") }
                return principal.allowList.allows(name, accessGroups: { groups })
                    ? .allowed : .forbidden("this key's allow-list does not include the model name '\(name)'")
            }
            guard readsModel(tenant: tenant, name: name, groups: { groups }, own: own, everyTenant: readsEveryTenant(principal),
                             allowed: principal.allowList) else { return .hidden }
            if access == .read { return .allowed }
            guard admin else { return .forbidden(readOnly(principal)) }
            return tenant == nil ? .forbidden("a tenant admin cannot change or delete shared models") : .allowed
        case .history(let tenant, let name):
            // Only the model's own tenant's keys: a shared model's history is for admins.
            guard tenant != nil, readsModel(tenant: tenant, name: name, groups: { [] }, own: own, allowed: principal.allowList) else { return .hidden }
            return access == .read ? .allowed : .forbidden("history cannot be changed")
        case .team(let id):
            guard access == .read else { return .forbidden("only an admin can create, change or delete teams") }
            return ExactID.same(id, own) ? .allowed : .hidden
        case .teamKeys(let team):
            return ExactID.same(team, own) && admin ? .allowed : .hidden
        case .key(let tenant, let role, let isCaller):
            let ofOwnTeam = admin && tenant != nil && ExactID.same(tenant, own)
            switch access {
            case .read: return ofOwnTeam || isCaller ? .allowed : .hidden
            case .create:
                guard admin else { return .forbidden("this key cannot create keys (role \(principal.role.rawValue))") }
                guard role != .gateway else { return .forbidden(gatewayKeysForAdmins) }
                guard ExactID.same(tenant, own) else { return .forbidden("a tenant admin can only create keys for its own team") }
                return role.belongsToTeam ? .allowed : .forbidden("a tenant admin cannot create \(role.rawValue) keys")
            case .change, .delete:
                guard ofOwnTeam || isCaller else { return .hidden }
                guard ofOwnTeam else { return .forbidden("this key cannot change or delete keys") }
                return role == .gateway ? .forbidden(gatewayKeysForAdmins) : .allowed
            }
        case .costMap:
            return access == .read ? .allowed : .forbidden("only an admin can change the cost map")
        case .config:
            return .forbidden("only an admin can plan or apply a config import")
        case .credential(let tenant):
            let ofOwnTeam = tenant != nil && ExactID.same(tenant, own)
            if access == .create {
                guard admin else { return .forbidden("this key cannot create credentials (role \(principal.role.rawValue))") }
                return ofOwnTeam ? .allowed : .forbidden("a tenant admin can only create credentials of its own team")
            }
            guard tenant == nil || ofOwnTeam || readsEveryTenant(principal) else { return .hidden }
            if access == .read { return .allowed }
            guard admin else { return .forbidden("this key can read credentials but not change them (role \(principal.role.rawValue))") }
            return ofOwnTeam ? .allowed : .forbidden("a tenant admin cannot change or delete shared credentials")
        }
    }

    private static let gatewayKeysForAdmins =
        "only an admin can create, change or delete gateway keys: a gateway key opens the secrets of every model it can see"

    /// A shared gateway key: it reads every team's models and credentials, as an admin does.
    private static func readsEveryTenant(_ principal: Principal) -> Bool {
        principal.role == .gateway && principal.tenantID == nil
    }

    /// Whether `principal` is given the routing view (`RoutingView`: secrets opened, credentials
    /// resolved) of the models it reads: gateway keys only.
    public static func receivesRoutingView(_ principal: Principal) -> Bool {
        principal.role == .gateway
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
    /// .model)`, with the principal's part worked out once rather than per deployment. A tenant
    /// key's candidates are only its tenant's and the shared models (`DeploymentSource`): a read
    /// costs the size of what the key may see, not of the catalog.
    public static func visible(_ deployments: some DeploymentSource, to principal: Principal, tenantFilter: String? = nil) -> [Deployment] {
        if seesEverything(principal, tenantFilter: tenantFilter) { return deployments.all }
        switch readScope(of: principal) {
        case .everything:
            return tenantFilter.map { deployments.deployments(ofTenants: [$0]) } ?? deployments.all
        case .everyTenant(let allowed):
            return (tenantFilter.map { deployments.deployments(ofTenants: [$0]) } ?? deployments.all).filter { deployment in
                readsModel(tenant: deployment.tenantID, name: deployment.modelName, groups: { deployment.accessGroups },
                           own: nil, everyTenant: true, allowed: allowed)
            }
        case .tenant(let own, let allowed):
            return deployments.deployments(ofTenants: tenantsRead(own: own)).filter { deployment in
                readsModel(tenant: deployment.tenantID, name: deployment.modelName, groups: { deployment.accessGroups },
                           own: own?.text, allowed: allowed)
            }
        }
    }

    /// Whether `visible` is every deployment there is, for `principal` with `tenantFilter`: an
    /// admin's (or an unrestricted shared gateway key's) unfiltered read. A page of such a read
    /// is cut from the catalog order itself, with no copy of the catalog.
    public static func seesEverything(_ principal: Principal, tenantFilter: String?) -> Bool {
        tenantFilter == nil && readScope(of: principal) == .everything
    }

    /// The deployments `principal`'s tenant rule lets it see, before its allow-list narrows them
    /// (with `?team_id=` for admins, as `visible`): what a wildcard route may offer names from
    /// (`usesThroughWildcard`). Never shown as such.
    public static func tenantVisible(_ deployments: some DeploymentSource, to principal: Principal, tenantFilter: String? = nil) -> [Deployment] {
        switch readScope(of: principal) {
        case .everything, .everyTenant:
            return tenantFilter.map { deployments.deployments(ofTenants: [$0]) } ?? deployments.all
        case .tenant(let own, _):
            return deployments.deployments(ofTenants: tenantsRead(own: own)).filter {
                readsModel(tenant: $0.tenantID, name: $0.modelName, groups: { [] }, own: own?.text, allowed: .all)
            }
        }
    }

    /// The tenants whose models a tenant-scoped key reads: its own (if any) and the shared models
    /// (nil). `readsModel` still decides each one; this only spares looking at the others.
    private static func tenantsRead(own: ExactID?) -> [String?] {
        own.map { [$0.text, nil] } ?? [nil]
    }

    /// Whether `principal` may use the model `name` through the wildcard route `route` (a
    /// deployment it may see by the tenant rule, `tenantVisible`): its allow-list allows the route
    /// itself (by name or access group), or names the model.
    public static func usesThroughWildcard(_ name: String, route: Deployment, by principal: Principal) -> Bool {
        if principal.role == .admin { return true }
        let allowed = principal.allowList
        return allowed.allows(route) || allowed.allows(name)
    }

    /// Whether `principal` may use the access group `group` as a whole (list it in `/v1/models`
    /// with `include_model_access_groups`): its allow-list is every model, or names the group.
    public static func usesAccessGroup(_ group: String, by principal: Principal) -> Bool {
        principal.role == .admin || principal.allowList.grantsGroup(group)
    }

    /// A tenant key's read rule for one model: its own tenant's and the shared ones (`everyTenant`:
    /// every tenant's, for a shared gateway key), narrowed by the allow-list (by name or access
    /// group). The one place this is written; `decide` and `visible` both call it.
    private static func readsModel(tenant: String?, name: String, groups: () -> [String], own: String?, everyTenant: Bool = false,
                                   allowed: ModelAllowList) -> Bool {
        guard everyTenant || tenant == nil || ExactID.same(tenant, own) else { return false }
        return allowed.allows(name, accessGroups: groups)
    }

    /// The tenant a model gets when `principal` creates it, or moves it with `requested`
    /// (`model_info.team_id`; nil: shared), or changes it (`requested`: where it stays), with the
    /// name `name` it will have. Admins place models freely; a tenant admin's models are its
    /// tenant's and within its allow-list, and naming another team is refused. `id` must keep the
    /// namespace rule (`checkModelID`); `chosenID`: the caller picked it (rather than a generated one).
    public static func tenant(forModel id: String, named name: String, by principal: Principal, requested: String?,
                              chosenID: Bool = false, accessGroups: [String] = []) throws -> String? {
        let tenant = principal.role == .tenantAdmin ? (requested ?? principal.tenantID) : requested
        try authorize(principal, .create, .model(tenant: tenant, name: name, accessGroups: accessGroups))
        try checkModelID(id, tenant: tenant, chosen: chosenID, by: principal)
        return tenant
    }

    // MARK: Credentials

    /// The team a new credential belongs to when `principal` creates it asking for `requested`
    /// (`credential_info.team_id`; nil: not given). An admin's is shared unless it names a team; a
    /// tenant admin's is its own team's, and naming another team is refused.
    public static func tenant(forCredential name: String, by principal: Principal, requested: String?) throws -> String? {
        let tenant = principal.role == .tenantAdmin ? (requested ?? principal.tenantID) : requested
        try authorize(principal, .create, .credential(tenant: tenant))
        return tenant
    }

    /// Whether a model of `modelTenant` (nil: shared) may use a credential of `credentialTenant`
    /// (nil: shared): a shared credential, or one of the model's own team.
    public static func mayUse(credentialOf credentialTenant: String?, inModelOf modelTenant: String?) -> Bool {
        credentialTenant == nil || (modelTenant != nil && ExactID.same(credentialTenant, modelTenant))
    }

    /// Throws unless a model of `modelTenant` may use the credential `name`, whose team is
    /// `credential` (nil: no such credential). A credential it may not use is refused exactly like
    /// one that does not exist, so that the refusal tells nothing of another team's credentials.
    public static func checkCredentialUse(_ name: String, credential: Credential.Owner?, modelTenant: String?) throws {
        if let credential, mayUse(credentialOf: credential.tenant, inModelOf: modelTenant) { return }
        let who = modelTenant.map { "a model of team '\($0)'" } ?? "a shared model"
        let usable = modelTenant == nil ? "a shared credential" : "a shared credential or one of its own team"
        throw CatalogError.invalid(
            field: Credential.fieldName,
            message: "\(Credential.fieldName): there is no credential '\(name)' that \(who) may use (\(usable); create it with POST /credentials)")
    }

    // MARK: Model ids

    /// The prefix of the model ids a team's keys may choose: `team:<team_id>:<anything>`.
    public static let namespacePrefix = "team:"

    /// The team whose namespace `id` is in: `P` for `team:P:…` (up to the first `:` after the
    /// prefix), nil for any other id.
    public static func namespace(ofModelID id: String) -> String? {
        guard id.utf8.starts(with: namespacePrefix.utf8) else { return nil }
        let rest = id.utf8.dropFirst(namespacePrefix.utf8.count)
        guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return String(decoding: rest[..<colon], as: UTF8.self)
    }

    /// Model ids are global, so a create that collides with a model its caller may not see would
    /// tell of that model. Two rules make that impossible (an id given to nobody else cannot
    /// collide with anybody else's): an id in a team's namespace belongs in that team, whoever
    /// places or moves it; and a non-admin key chooses ids only in its own team's namespace, and
    /// only when no allow-list hides some of its team's models from it. Refusals name the rule,
    /// never what exists.
    public static func checkModelID(_ id: String, tenant: String?, chosen: Bool, by principal: Principal) throws {
        if let owner = namespace(ofModelID: id), !ExactID.same(owner, tenant) {
            throw CatalogError.invalid(
                field: "model_info.id",
                message: "model ids starting with '\(namespacePrefix)\(owner):' belong to team '\(owner)': such a model cannot be in \(tenant.map { "team '\($0)'" } ?? "no team")")
        }
        guard chosen, principal.role != .admin else { return }
        let own = principal.tenantID ?? ""
        guard namespace(ofModelID: id) != nil, principal.allowList == .all else {
            throw CatalogError.invalid(
                field: "model_info.id",
                message: principal.allowList == .all
                    ? "a team key chooses model_info.id only in its team's namespace '\(namespacePrefix)\(own):…'; leave it out for a generated id"
                    : "a key with an allow-list cannot choose model_info.id; leave it out for a generated id")
        }
    }

    /// Throws unless `principal` may change (or delete) `deployment`: not found when it may not
    /// see it, forbidden when it may see but not change it.
    public static func authorizeChange(of deployment: Deployment, by principal: Principal, _ access: Access = .change) throws {
        try authorize(principal, access, .model(tenant: deployment.tenantID, name: deployment.modelName, accessGroups: deployment.accessGroups),
                      hiddenMessage: "model '\(deployment.id)' not found")
    }

    // MARK: Keys

    /// A key as the policy lets `principal` make it.
    public struct NewKey: Sendable, Equatable {
        public var role: Principal.Role
        public var tenant: String?
        /// The allow-list to store (nil: every model the tenant may see).
        public var models: [String]?
        public var expiresAt: Date?
    }

    /// The key `principal` may make when it asks for `team`, `role`, `models` (nil: not given)
    /// and `expiresAt` (nil: not given). Without a team and a role the key is a personal key
    /// (LiteLLM's default); an admin key must be asked for explicitly (`role: admin`), so that a
    /// bare call never mints one by accident; a tenant admin's keys are its team's. A key is at
    /// most its maker: a list not given is the maker's list, a list given must lie within it; an
    /// expiry not given is the maker's, one given may not be later. (An admin's reads ignore allow-lists, so only expiry binds it.)
    public static func newKey(by principal: Principal, team: String?, role: Principal.Role?,
                              models: [String]? = nil, expiresAt: Date? = nil) throws -> NewKey {
        let (role, tenant) = try roleAndTenant(by: principal, team: team, role: role)
        var allowed = try models.map { try boundedModels($0, by: principal) } ?? nil
        if models == nil, principal.role != .admin {
            allowed = principal.allowList == .all ? nil : principal.allowedModels
        }
        let expiry = try expiresAt.map { try boundedExpiry($0, by: principal) } ?? principal.expiresAt
        return NewKey(role: role, tenant: tenant, models: allowed, expiresAt: expiry)
    }

    /// The key `record` becomes when `principal` changes it. Each argument is nil when not given;
    /// `.some(nil)` clears: `team` (no team), `models` (no restriction), `expiresAt` (never). A key
    /// changed is bounded like a key made (`newKey`): an allow-list within the changer's, an
    /// expiry no later than its own. Only an admin moves a key to another team; a key moved out
    /// of every team becomes personal, and a personal key moved into one a member of it; a gateway
    /// key stays a gateway key, shared or bound.
    public static func updatedKey(_ record: APIKeyRecord, by principal: Principal, isCaller: Bool = false,
                                  team: String?? = nil, models: [String]?? = nil, expiresAt: Date?? = nil) throws -> NewKey {
        try authorize(principal, .change, .key(tenant: record.tenantID, role: record.role, isCaller: isCaller),
                      hiddenMessage: "key not found")
        var role = record.role
        var tenant = record.tenantID
        if let asked = team, !ExactID.same(asked, record.tenantID) {
            guard principal.role == .admin else {
                throw CatalogError.forbidden(message: "a tenant admin cannot move a key to another team")
            }
            guard record.role != .admin else {
                throw CatalogError.invalid(field: "team_id", message: "an admin key has no team_id")
            }
            tenant = asked
            // A gateway key stays one, shared or bound; other keys take the role their new place needs.
            if role != .gateway {
                if asked == nil { role = .personal } else if role == .personal { role = .tenantMember }
            }
        }
        let allowed = try models.map { try $0.map { try boundedModels($0, by: principal) } ?? boundedModels(["*"], by: principal) }
            ?? record.models
        let expiry = try expiresAt.map { try boundedExpiry($0, by: principal) } ?? record.expiresAt
        return NewKey(role: role, tenant: tenant, models: allowed, expiresAt: expiry)
    }

    /// The allow-list to store for `models` asked by `principal` (nil: every model): no name
    /// patterns, and within the asker's own list (an admin's reads ignore lists).
    private static func boundedModels(_ models: [String], by principal: Principal) throws -> [String]? {
        try checkAllowListEntries(models)
        let allowed = ModelAllowList(models) == .all ? nil : models
        // Within the maker's own list: the key is of the maker's team, whose list narrows it too.
        if principal.role != .admin, !ModelAllowList(allowed).isWithin(principal.keyAllowList) {
            throw CatalogError.forbidden(message: "a key cannot allow models the key that makes it may not use")
        }
        return allowed
    }

    /// Refuses model name patterns in an allow-list (a key's or a team's): an entry is one name,
    /// or one of the spellings of "every model".
    public static func checkAllowListEntries(_ models: [String], field: String = "models") throws {
        if let pattern = models.first(where: { $0.contains("*") && !ModelAllowList.everyModel.contains($0) }) {
            throw CatalogError.invalid(field: field, message: "'\(pattern)': model name patterns are not supported; give names, or \"*\" for every model")
        }
    }

    /// The expiry `principal` may give a key when it asks for `asked` (nil: never).
    private static func boundedExpiry(_ asked: Date?, by principal: Principal) throws -> Date? {
        guard let limit = principal.expiresAt else { return asked }
        guard let asked, asked <= limit else {
            throw CatalogError.forbidden(message: "a key cannot outlive the key that makes it (which expires at \(ISO8601DateFormatter().string(from: limit)))")
        }
        return asked
    }

    private static func roleAndTenant(by principal: Principal, team: String?, role: Principal.Role?) throws -> (Principal.Role, String?) {
        let tenant = principal.role == .tenantAdmin ? (team ?? principal.tenantID) : team
        let role = role ?? (tenant == nil ? .personal : .tenantMember)
        try authorize(principal, .create, .key(tenant: tenant, role: role, isCaller: false))
        // Team roles belong to a team; admin and personal keys to none; a gateway key to one or none.
        if role.belongsToTeam, tenant == nil {
            throw CatalogError.invalid(field: "team_id", message: "a \(role.rawValue) key needs a team_id")
        }
        if role.hasNoTeam, tenant != nil {
            throw CatalogError.invalid(field: "role", message: "\(role.rawValue) keys have no team_id")
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
    /// Structured, compared byte for byte: no two different scopes are equal, whatever their
    /// tenant ids or model names hold (separators, `*`, canonically equivalent spellings).
    public enum ReadScope: Sendable, Hashable {
        case everything
        /// Every tenant's models and the shared ones, narrowed by the allow-list: a shared gateway
        /// key with an allow-list (without one, its scope is `everything`).
        case everyTenant(ModelAllowList)
        /// A tenant's models and the shared ones, narrowed by the allow-list.
        case tenant(ExactID?, ModelAllowList)
    }

    /// Whether a read cached for `scope` may answer differently after `change`: a shared model is
    /// seen by every scope, a tenant's model by that tenant's scopes and those that read every
    /// tenant (the same rule as `readsModel`, on tenants alone: an allow-list only narrows).
    public static func readScope(_ scope: ReadScope, isAffectedBy change: ReadInvalidation) -> Bool {
        guard case .models(let tenants) = change else { return true }
        if tenants.contains(nil) { return true }
        switch scope {
        case .everything, .everyTenant: return !tenants.isEmpty
        case .tenant(let own, _): return own.map { tenants.contains($0) } ?? false
        }
    }

    public static func readScope(of principal: Principal) -> ReadScope {
        if principal.role == .admin { return .everything }
        if readsEveryTenant(principal) { return principal.allowList == .all ? .everything : .everyTenant(principal.allowList) }
        return .tenant(principal.tenantID.map { ExactID($0) }, principal.allowList)
    }

    /// Whether `principal` may see this entry of a model's history, which holds the model's
    /// `states` (before and after the change; none for an entry logged without rows).
    public static func readsHistoryEntry(states: [Deployment], by principal: Principal) -> Bool {
        if principal.role == .admin { return true }
        return !states.isEmpty && states.allSatisfy {
            decide(principal, .read, .history(tenant: $0.tenantID, name: $0.modelName)).isAllowed
        }
    }
}

extension Principal {
    /// The principal of models loaded from a config file (at start or by `import-config`): the
    /// operator, who places models in any team.
    public static let config = Principal(role: .admin, actor: "config")
}
