/// Who sees which models: the one rule behind every read endpoint.
///
/// An admin sees every model and may narrow the list to one tenant (`?team_id=`). A tenant key
/// sees the shared models (no tenant) and its own tenant's, narrowed by the key's allow-list of
/// model names when it has one. Nothing else: a model the caller may not see is reported exactly
/// like one that does not exist.
public enum Visibility {
    public static func canSee(_ deployment: Deployment, principal: Principal) -> Bool {
        if principal.isAdmin { return true }
        guard deployment.tenantID == nil || deployment.tenantID == principal.tenantID else { return false }
        if let allowed = principal.allowedModels { return allowed.contains(deployment.modelName) }
        return true
    }

    /// The deployments `principal` may see, in their order; `tenantFilter` narrows an admin's view.
    public static func visible(_ deployments: [Deployment], principal: Principal, tenantFilter: String? = nil) -> [Deployment] {
        deployments.filter { deployment in
            guard canSee(deployment, principal: principal) else { return false }
            if let tenantFilter, principal.isAdmin { return deployment.tenantID == tenantFilter }
            return true
        }
    }
}

extension Visibility {
    /// Whether `principal` may change or delete `deployment`: admins any; a tenant admin only its
    /// own tenant's models (never shared ones); a tenant member none. Callers first check `canSee`
    /// (a model one cannot see is "not found", not "forbidden").
    public static func canWrite(_ deployment: Deployment, principal: Principal) -> Bool {
        switch principal.role {
        case .admin: return true
        case .tenantAdmin: return deployment.tenantID != nil && deployment.tenantID == principal.tenantID
        case .tenantMember: return false
        }
    }

    /// The tenant a new or moved model belongs to, given the team the request names (nil: none).
    /// Admins choose freely (nil is shared); a tenant admin's models are its tenant's, and naming
    /// another team is refused.
    public static func tenant(forWriteBy principal: Principal, requested: String?) throws -> String? {
        switch principal.role {
        case .admin:
            return requested
        case .tenantAdmin:
            if let requested, requested != principal.tenantID {
                throw CatalogError.forbidden(message: "a tenant admin can only manage its own team's models")
            }
            return principal.tenantID
        case .tenantMember:
            throw CatalogError.forbidden(message: "this key can read models but not change them (role tenant_member)")
        }
    }
}
