/// The access policy's answers for the change stream (`/catalog/snapshot`, `/catalog/changes`,
/// `/catalog/stream`): the same rules as every read, applied to a change rather than a list.
extension AccessPolicy {
    /// Whether `principal` hears of a change of a model whose `states` are its row before and
    /// after the change and its row now (absent ones left out): it may see at least one of them.
    /// One it could see before but not now hears of it as a deletion; one that could never see the
    /// model hears nothing, not even its id.
    public static func hearsOfModelChange(states: [Deployment], by principal: Principal) -> Bool {
        !visible(states, to: principal).isEmpty
    }

    /// Whether `principal` hears of a change of a credential that belonged to `tenants` (before,
    /// after, now).
    public static func hearsOfCredentialChange(tenants: [String?], by principal: Principal) -> Bool {
        tenants.contains { decide(principal, .read, .credential(tenant: $0)).isAllowed }
    }

    /// The router aliases `principal` may see: those that resolve to a model group among the
    /// deployments it sees (`visible`), hidden ones included (they route, and a router needs them).
    public static func visibleAliases(_ aliases: [ModelGroupAlias], visible deployments: [Deployment],
                                      to principal: Principal) -> [ModelGroupAlias] {
        if case .everything = readScope(of: principal) { return aliases }
        let groups = Set(deployments.map { ExactID($0.modelName) })
        return aliases.filter { groups.contains(ExactID($0.modelGroup)) }
    }
}

extension AccessPolicy {
    /// Whether `principal` may list the fleet (`GET /fleet`: replicas and stream subscribers,
    /// with keys' aliases and remote addresses): admins only.
    public static func mayReadFleet(_ principal: Principal) -> Bool { principal.role == .admin }
}
