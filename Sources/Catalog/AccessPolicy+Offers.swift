extension AccessPolicy {
    /// What a client (the admin page) may offer a key, by name: each answer is `decide` for a
    /// representative object of the key's own team (or a shared one), so that a page hides exactly
    /// what the API would refuse, without a second copy of the rule. The key's allow-list is left
    /// out: it depends on the model name, which the API checks when the name is given.
    ///
    /// - `create_models`: add models (to its team, for a tenant admin);
    /// - `change_team_models`, `change_shared_models`: edit, block, restore and delete models of
    ///   a team it sees, or shared ones;
    /// - `manage_keys`: create, change and delete keys (its team's, for a tenant admin);
    /// - `manage_teams`: create, change and delete teams;
    /// - `create_credentials`: add credentials (its team's, for a tenant admin);
    /// - `change_cost_map`: reload the cost map and set price overrides;
    /// - `plan_config`: plan and apply a config import;
    /// - `read_fleet`: list the replicas and stream subscribers;
    /// - `read_team_history`, `read_shared_history`: read the history of a team's models, or of
    ///   shared ones.
    public static func offers(_ principal: Principal) -> [String: Bool] {
        var unlisted = principal
        unlisted.allowedModels = nil
        unlisted.teamModels = nil
        let own = principal.tenantID
        // A team's models: the key's own team, or for a key of no team any team (an admin's).
        let team = own ?? "*"
        func may(_ access: Access, _ resource: Resource) -> Bool { decide(unlisted, access, resource).isAllowed }
        return [
            "create_models": may(.create, .model(tenant: team, name: "")),
            "change_team_models": may(.change, .model(tenant: team, name: "")),
            "change_shared_models": may(.change, .model(tenant: nil, name: "")),
            "manage_keys": may(.create, .key(tenant: own, role: own == nil ? .personal : .tenantMember, isCaller: false)),
            "manage_teams": may(.create, .team(id: "")),
            "create_credentials": may(.create, .credential(tenant: own)),
            "change_cost_map": may(.change, .costMap),
            "plan_config": may(.create, .config),
            "read_fleet": mayReadFleet(principal),
            "read_team_history": may(.read, .history(tenant: team, name: "")),
            "read_shared_history": may(.read, .history(tenant: nil, name: "")),
        ]
    }
}
