import Catalog
import Testing

/// The access policy as a table: principal × access × resource → decision. Every row is one
/// answer the whole service relies on (the API, config loading, the cache's scopes), so a change
/// of rule shows up here first, in milliseconds.
@Suite("Access policy")
struct AccessPolicyTests {
    enum Who: String, CaseIterable, Sendable {
        case admin, t1Admin, t1Member, t1AllowListed, t2Admin, config
    }

    static func principal(_ who: Who) -> Principal {
        switch who {
        case .admin: .master
        case .t1Admin: Principal(role: .tenantAdmin, tenantID: "t1", actor: "key:t1-admin")
        case .t1Member: Principal(role: .tenantMember, tenantID: "t1", actor: "key:t1-member")
        case .t1AllowListed: Principal(role: .tenantMember, tenantID: "t1", allowedModels: ["gpt-4o"], actor: "key:t1-listed")
        case .t2Admin: Principal(role: .tenantAdmin, tenantID: "t2", actor: "key:t2-admin")
        case .config: .config
        }
    }

    enum Outcome: String, Sendable { case allowed, hidden, forbidden }

    struct Row: Sendable, CustomTestStringConvertible {
        var access: AccessPolicy.Access
        var resource: AccessPolicy.Resource
        /// One outcome per `Who`, in `Who.allCases` order.
        var outcomes: [Outcome]

        var testDescription: String { "\(access) \(resource)" }
    }

    static let t1Model = AccessPolicy.Resource.model(tenant: "t1", name: "t1-model")
    static let t1GPT = AccessPolicy.Resource.model(tenant: "t1", name: "gpt-4o")
    static let t2Model = AccessPolicy.Resource.model(tenant: "t2", name: "t2-model")
    static let shared = AccessPolicy.Resource.model(tenant: nil, name: "gpt-4o")
    static let sharedOther = AccessPolicy.Resource.model(tenant: nil, name: "claude")

    static let a = Outcome.allowed, h = Outcome.hidden, f = Outcome.forbidden

    //                                                         admin t1Admin t1Member t1Listed t2Admin config
    static let table: [Row] = [
        // Reading models: own tenant's and shared ones, narrowed by the allow-list.
        Row(access: .read, resource: t1Model, outcomes:           [a, a, a, h, h, a]),
        Row(access: .read, resource: t1GPT, outcomes:             [a, a, a, a, h, a]),
        Row(access: .read, resource: t2Model, outcomes:           [a, h, h, h, a, a]),
        Row(access: .read, resource: shared, outcomes:            [a, a, a, a, a, a]),
        Row(access: .read, resource: sharedOther, outcomes:       [a, a, a, h, a, a]),
        // Creating: a tenant admin only in its own tenant; members never.
        Row(access: .create, resource: t1Model, outcomes:         [a, a, f, f, f, a]),
        Row(access: .create, resource: t2Model, outcomes:         [a, f, f, f, a, a]),
        Row(access: .create, resource: shared, outcomes:          [a, f, f, f, f, a]),
        // Changing and deleting: what one cannot see is hidden; shared models are admins'.
        Row(access: .change, resource: t1Model, outcomes:         [a, a, f, h, h, a]),
        Row(access: .change, resource: t2Model, outcomes:         [a, h, h, h, a, a]),
        Row(access: .change, resource: shared, outcomes:          [a, f, f, f, f, a]),
        Row(access: .delete, resource: t1Model, outcomes:         [a, a, f, h, h, a]),
        Row(access: .delete, resource: t2Model, outcomes:         [a, h, h, h, a, a]),
        Row(access: .delete, resource: shared, outcomes:          [a, f, f, f, f, a]),
        // History: the model's own tenant's keys; shared models' history is for admins.
        Row(access: .read, resource: .history(tenant: "t1", name: "t1-model"), outcomes: [a, a, a, h, h, a]),
        Row(access: .read, resource: .history(tenant: "t1", name: "gpt-4o"), outcomes:   [a, a, a, a, h, a]),
        Row(access: .read, resource: .history(tenant: nil, name: "gpt-4o"), outcomes:    [a, h, h, h, h, a]),
        Row(access: .change, resource: .history(tenant: "t1", name: "t1-model"), outcomes: [a, f, f, h, h, a]),
        // Teams: read your own; only admins create or delete.
        Row(access: .read, resource: .team(id: "t1"), outcomes:   [a, a, a, a, h, a]),
        Row(access: .read, resource: .team(id: "t2"), outcomes:   [a, h, h, h, a, a]),
        Row(access: .create, resource: .team(id: "t9"), outcomes: [a, f, f, f, f, a]),
        Row(access: .delete, resource: .team(id: "t1"), outcomes: [a, f, f, f, f, a]),
        Row(access: .delete, resource: .team(id: "t2"), outcomes: [a, f, f, f, f, a]),
        Row(access: .read, resource: .teamKeys(team: "t1"), outcomes: [a, a, h, h, h, a]),
        Row(access: .read, resource: .teamKeys(team: "t2"), outcomes: [a, h, h, h, a, a]),
        // Keys: a tenant admin manages its team's; every key reads itself.
        Row(access: .read, resource: .key(tenant: "t1", role: .tenantMember, isCaller: false), outcomes: [a, a, h, h, h, a]),
        Row(access: .read, resource: .key(tenant: "t1", role: .tenantMember, isCaller: true), outcomes:  [a, a, a, a, a, a]),
        Row(access: .read, resource: .key(tenant: nil, role: .admin, isCaller: false), outcomes:         [a, h, h, h, h, a]),
        Row(access: .create, resource: .key(tenant: "t1", role: .tenantMember, isCaller: false), outcomes: [a, a, f, f, f, a]),
        Row(access: .create, resource: .key(tenant: "t1", role: .admin, isCaller: false), outcomes:      [a, f, f, f, f, a]),
        Row(access: .create, resource: .key(tenant: "t2", role: .tenantAdmin, isCaller: false), outcomes: [a, f, f, f, a, a]),
        Row(access: .delete, resource: .key(tenant: "t1", role: .tenantMember, isCaller: false), outcomes: [a, a, h, h, h, a]),
        Row(access: .delete, resource: .key(tenant: "t2", role: .tenantMember, isCaller: false), outcomes: [a, h, h, h, a, a]),
        Row(access: .delete, resource: .key(tenant: nil, role: .admin, isCaller: false), outcomes:        [a, h, h, h, h, a]),
        // The cost map: read by every key, changed by admins.
        Row(access: .read, resource: .costMap, outcomes:          [a, a, a, a, a, a]),
        Row(access: .change, resource: .costMap, outcomes:        [a, f, f, f, f, a]),
    ]

    @Test("every (principal, access, resource) decision", arguments: table)
    func decision(_ row: Row) {
        #expect(row.outcomes.count == Who.allCases.count)
        for (who, expected) in zip(Who.allCases, row.outcomes) {
            let observed: Outcome = switch AccessPolicy.decide(Self.principal(who), row.access, row.resource) {
            case .allowed: .allowed
            case .hidden: .hidden
            case .forbidden: .forbidden
            }
            #expect(observed == expected, "\(who) \(row.access) \(row.resource)")
        }
    }

    @Test("authorize throws notFound for hidden and forbidden for forbidden, with the reason")
    func authorizeMapsDecisions() {
        #expect(throws: CatalogError.notFound(message: "model 'x' not found")) {
            try AccessPolicy.authorize(Self.principal(.t2Admin), .change, Self.t1Model, hiddenMessage: "model 'x' not found")
        }
        #expect(throws: CatalogError.forbidden(message: "a tenant admin cannot change or delete shared models")) {
            try AccessPolicy.authorize(Self.principal(.t1Admin), .change, Self.shared)
        }
        #expect(throws: Never.self) { try AccessPolicy.authorize(Self.principal(.t1Admin), .change, Self.t1Model) }
    }

    /// (who, requested team) → the tenant a new or moved model gets, or the refusal.
    @Test("the tenant of a new or moved model", arguments: [
        (Who.admin, "t2", "t2"), (.admin, nil, nil), (.config, "t1", "t1"), (.config, nil, nil),
        (.t1Admin, nil, "t1"), (.t1Admin, "t1", "t1"), (.t1Admin, "t2", "forbidden"),
        (.t1Member, nil, "forbidden"), (.t1Member, "t1", "forbidden"),
    ] as [(Who, String?, String?)])
    func placement(_ who: Who, requested: String?, expected: String?) {
        let result = Result { try AccessPolicy.tenant(forModel: "m", named: "gpt-4o", by: Self.principal(who), requested: requested) }
        switch result {
        case .success(let tenant): #expect(tenant == expected, "\(who) asking for \(requested ?? "shared")")
        case .failure(let error):
            #expect(expected == "forbidden", "\(who) asking for \(requested ?? "shared"): \(error)")
            guard case CatalogError.forbidden = error else {
                Issue.record("expected forbidden, got \(error)")
                return
            }
        }
    }

    /// (who, team, role) → the new key's (role, tenant), or the field of the refusal.
    @Test("the role and team of a new key", arguments: [
        (Who.admin, "t1", nil, "tenant_member@t1"), (.admin, "t1", .tenantAdmin, "tenant_admin@t1"),
        (.admin, nil, .admin, "admin@-"), (.admin, nil, nil, "personal@-"), (.admin, "t1", .admin, "invalid:role"),
        (.admin, nil, .tenantMember, "invalid:team_id"), (.admin, nil, .personal, "personal@-"), (.admin, "t1", .personal, "invalid:role"),
        (.t1Admin, nil, .personal, "forbidden"),
        (.t1Admin, nil, nil, "tenant_member@t1"), (.t1Admin, "t1", .tenantAdmin, "tenant_admin@t1"),
        (.t1Admin, "t2", nil, "forbidden"), (.t1Admin, nil, .admin, "forbidden"),
        (.t1Member, nil, nil, "forbidden"), (.t1Member, "t1", .tenantMember, "forbidden"),
    ] as [(Who, String?, Principal.Role?, String)])
    func newKey(_ who: Who, team: String?, role: Principal.Role?, expected: String) {
        let observed: String
        do {
            let granted = try AccessPolicy.newKey(by: Self.principal(who), team: team, role: role)
            observed = "\(granted.role.rawValue)@\(granted.tenant ?? "-")"
        } catch CatalogError.invalid(let field, _) {
            observed = "invalid:\(field ?? "")"
        } catch CatalogError.forbidden {
            observed = "forbidden"
        } catch {
            observed = "\(error)"
        }
        #expect(observed == expected, "\(who) team \(team ?? "-") role \(role?.rawValue ?? "-")")
    }

    @Test("visible: a tenant key sees its own and shared models; ?team_id= narrows only an admin's view")
    func visibleSets() {
        let deployments = [
            Deployment(id: "a", tenantID: "t1", modelName: "t1-model", litellmParams: ["model": "openai/x"]),
            Deployment(id: "b", tenantID: "t2", modelName: "t2-model", litellmParams: ["model": "openai/x"]),
            Deployment(id: "c", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
            Deployment(id: "d", tenantID: "t1", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
        ]
        func ids(_ who: Who, filter: String? = nil) -> [String] {
            AccessPolicy.visible(deployments, to: Self.principal(who), tenantFilter: filter).map(\.id)
        }
        #expect(ids(.admin) == ["a", "b", "c", "d"])
        #expect(ids(.admin, filter: "t2") == ["b"])
        #expect(ids(.t1Member) == ["a", "c", "d"])
        #expect(ids(.t1Member, filter: "t2") == ["a", "c", "d"])
        #expect(ids(.t1AllowListed) == ["c", "d"])
        #expect(ids(.t2Admin) == ["b", "c"])
    }

    @Test("read scopes: equal for principals that see the same set, different otherwise")
    func readScopes() {
        let listedAB = Principal(role: .tenantMember, tenantID: "t1", allowedModels: ["b", "a"], actor: "k1")
        let listedBA = Principal(role: .tenantAdmin, tenantID: "t1", allowedModels: ["a", "b"], actor: "k2")
        #expect(AccessPolicy.readScope(of: listedAB) == AccessPolicy.readScope(of: listedBA))
        #expect(AccessPolicy.readScope(of: Self.principal(.t1Member)) == AccessPolicy.readScope(of: Self.principal(.t1Admin)))
        #expect(AccessPolicy.readScope(of: Self.principal(.t1Member)) != AccessPolicy.readScope(of: Self.principal(.t2Admin)))
        #expect(AccessPolicy.readScope(of: Self.principal(.t1Member)) != AccessPolicy.readScope(of: listedAB))
        #expect(AccessPolicy.readScope(of: .master) == AccessPolicy.readScope(of: .config))
        // An allow-list entry containing a separator cannot collide with two entries.
        let joined = Principal(role: .tenantMember, tenantID: "t1", allowedModels: ["a,b"], actor: "k3")
        #expect(AccessPolicy.readScope(of: joined) != AccessPolicy.readScope(of: listedAB))
    }
}
