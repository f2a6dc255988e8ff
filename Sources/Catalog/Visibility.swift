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
