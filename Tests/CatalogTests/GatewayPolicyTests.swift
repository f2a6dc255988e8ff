import Catalog
import Foundation
import Testing

/// Issue 13's gateway keys in the policy: a shared one reads like an admin, a team-bound one like a
/// member of its team; neither writes anything; only admins make, change or delete them; only they
/// get the routing view.
@Suite("Access policy: gateway keys")
struct GatewayPolicyTests {
    static let deployments = [
        Deployment(id: "s1", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
        Deployment(id: "s2", modelName: "claude", litellmParams: ["model": "anthropic/claude"]),
        Deployment(id: "t1a", tenantID: "t1", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
        Deployment(id: "t1b", tenantID: "t1", modelName: "t1-model", litellmParams: ["model": "openai/x"]),
        Deployment(id: "t2a", tenantID: "t2", modelName: "t2-model", litellmParams: ["model": "openai/x"],
                   modelInfo: ["access_groups": ["fleet"]]),
    ]

    static let shared = Principal(role: .gateway, actor: "key:g")
    static let sharedListed = Principal(role: .gateway, allowedModels: ["claude", "fleet"], actor: "key:g2")
    static let bound = Principal(role: .gateway, tenantID: "t1", actor: "key:g1")
    static let boundListed = Principal(role: .gateway, tenantID: "t1", allowedModels: ["t1-model"], actor: "key:g3")
    static let t1Admin = Principal(role: .tenantAdmin, tenantID: "t1", actor: "key:t1-admin")
    static let member = Principal(role: .tenantMember, tenantID: "t1", actor: "key:m")

    static func ids(_ principal: Principal, tenantFilter: String? = nil) -> [String] {
        AccessPolicy.visible(deployments, to: principal, tenantFilter: tenantFilter).map(\.id)
    }

    static func record(_ role: Principal.Role, _ tenant: String?, token: UUID = UUID()) -> APIKeyRecord {
        APIKeyRecord(id: token, alias: nil, role: role, tenantID: tenant, models: nil, expiresAt: nil, createdAt: nil, createdBy: nil)
    }

    @Test("a shared gateway key reads every team's models, as an admin does, narrowed by its list when it has one")
    func sharedReads() {
        #expect(Self.ids(Self.shared) == Self.deployments.map(\.id))
        #expect(Self.ids(Self.shared, tenantFilter: "t2") == ["t2a"], "?team_id= narrows it as it narrows an admin")
        #expect(AccessPolicy.readScope(of: Self.shared) == AccessPolicy.readScope(of: .master))
        // A list narrows it, by name or access group, in every team.
        #expect(Self.ids(Self.sharedListed) == ["s2", "t2a"])
        #expect(AccessPolicy.readScope(of: Self.sharedListed) != AccessPolicy.readScope(of: .master))
        #expect(AccessPolicy.readScope(of: Self.sharedListed)
            != AccessPolicy.readScope(of: Principal(role: .personal, allowedModels: ["claude", "fleet"], actor: "key:p")),
            "a personal key with the same list sees the shared models only: another scope")
        #expect(AccessPolicy.decide(Self.shared, .read, .model(tenant: "t2", name: "t2-model")) == .allowed)
        #expect(AccessPolicy.decide(Self.sharedListed, .read, .model(tenant: "t1", name: "t1-model")) == .hidden)
        // Every credential (names and info), to follow the models that use them.
        #expect(AccessPolicy.decide(Self.shared, .read, .credential(tenant: "t2")) == .allowed)
        // But no team, no team's keys, no history (which names who changed what).
        #expect(AccessPolicy.decide(Self.shared, .read, .team(id: "t1")) == .hidden)
        #expect(AccessPolicy.decide(Self.shared, .read, .teamKeys(team: "t1")) == .hidden)
        #expect(AccessPolicy.decide(Self.shared, .read, .history(tenant: "t1", name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.decide(Self.shared, .read, .history(tenant: nil, name: "gpt-4o")) == .hidden)
    }

    @Test("a team-bound gateway key reads as a member of its team: its team's and the shared models, never another team's")
    func boundReads() {
        #expect(Self.ids(Self.bound) == ["s1", "s2", "t1a", "t1b"])
        #expect(Self.ids(Self.bound, tenantFilter: "t2") == ["s1", "s2", "t1a", "t1b"], "?team_id= opens no other team")
        #expect(AccessPolicy.readScope(of: Self.bound) == AccessPolicy.readScope(of: Self.member))
        #expect(Self.ids(Self.boundListed) == ["t1b"])
        #expect(AccessPolicy.decide(Self.bound, .read, .model(tenant: "t2", name: "t2-model")) == .hidden)
        #expect(AccessPolicy.decide(Self.bound, .read, .credential(tenant: "t2")) == .hidden)
        #expect(AccessPolicy.decide(Self.bound, .read, .credential(tenant: "t1")) == .allowed)
        #expect(AccessPolicy.decide(Self.bound, .read, .credential(tenant: nil)) == .allowed)
        #expect(AccessPolicy.decide(Self.bound, .read, .team(id: "t1")) == .allowed)
        #expect(AccessPolicy.decide(Self.bound, .read, .teamKeys(team: "t1")) == .hidden)
    }

    @Test("a gateway key writes nothing: no model, credential, key, team or cost map", arguments: [shared, bound])
    func writesNothing(_ gateway: Principal) throws {
        let resources: [AccessPolicy.Resource] = [
            .model(tenant: nil, name: "gpt-4o"), .model(tenant: "t1", name: "gpt-4o"), .credential(tenant: nil),
            .credential(tenant: "t1"), .team(id: "t1"), .costMap,
            .key(tenant: gateway.tenantID, role: .tenantMember, isCaller: false), .key(tenant: nil, role: .personal, isCaller: false),
            .key(tenant: gateway.tenantID, role: .gateway, isCaller: true),
        ]
        for resource in resources {
            for access in [AccessPolicy.Access.create, .change, .delete] {
                #expect(!AccessPolicy.decide(gateway, access, resource).isAllowed, "\(access) \(resource)")
            }
        }
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: gateway, team: gateway.tenantID, role: .gateway) }
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: gateway, team: nil, role: nil) }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forModel: "m", named: "gpt-4o", by: gateway, requested: gateway.tenantID) }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forCredential: "c", by: gateway, requested: gateway.tenantID) }
        let own = Self.record(.gateway, gateway.tenantID, token: UUID(uuidString: "00000000-0000-0000-0000-00000000000a")!)
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(own, by: gateway, isCaller: true, models: .some(["claude"])) }
        // It reads itself, and no other key.
        #expect(AccessPolicy.canRead(own, by: gateway, isCaller: true))
        #expect(!AccessPolicy.canRead(Self.record(.tenantMember, "t1"), by: gateway, isCaller: false))
        #expect(!AccessPolicy.canRead(Self.record(.gateway, gateway.tenantID), by: gateway, isCaller: false))
    }

    @Test("admins make gateway keys, shared or bound; tenant admins are refused, for their own team too")
    func making() throws {
        let sharedKey = try AccessPolicy.newKey(by: .master, team: nil, role: .gateway)
        #expect(sharedKey.role == .gateway && sharedKey.tenant == nil)
        let boundKey = try AccessPolicy.newKey(by: .master, team: "t1", role: .gateway, models: ["gpt-4o"])
        #expect(boundKey.role == .gateway && boundKey.tenant == "t1" && boundKey.models == ["gpt-4o"] && boundKey.expiresAt == nil)
        for team in [nil, "t1", "t2"] as [String?] {
            #expect(throws: CatalogError.forbidden(message: "only an admin can create, change or delete gateway keys: a gateway key opens the secrets of every model it can see")) {
                try AccessPolicy.newKey(by: Self.t1Admin, team: team, role: .gateway)
            }
        }
        // Nor does a bare key ever become one.
        #expect(try AccessPolicy.newKey(by: .master, team: nil, role: nil).role == .personal)
        #expect(try AccessPolicy.newKey(by: .master, team: "t1", role: nil).role == .tenantMember)
        // The other roles keep their team rules.
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: .master, team: nil, role: .tenantMember) }
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: .master, team: "t1", role: .personal) }
    }

    @Test("only an admin changes, moves or deletes a gateway key; a move keeps it a gateway key; its team's tenant admin only reads it")
    func changing() throws {
        let bound = Self.record(.gateway, "t1")
        let shared = Self.record(.gateway, nil)
        // A tenant admin sees its team's gateway key, but cannot change, regenerate or delete it.
        #expect(AccessPolicy.canRead(bound, by: Self.t1Admin, isCaller: false))
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(bound, by: Self.t1Admin, models: .some(["gpt-4o"])) }
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(bound, by: Self.t1Admin) }
        guard case .forbidden = AccessPolicy.decide(Self.t1Admin, .delete, .key(tenant: "t1", role: .gateway, isCaller: false)) else {
            Issue.record("a tenant admin may delete its team's gateway key")
            return
        }
        #expect(!AccessPolicy.canRead(shared, by: Self.t1Admin, isCaller: false))
        // Its other team keys stay its own to change.
        #expect(throws: Never.self) { try AccessPolicy.updatedKey(Self.record(.tenantMember, "t1"), by: Self.t1Admin, models: .some(["gpt-4o"])) }
        // An admin moves one out of its team, and into another: still a gateway key.
        let unbound = try AccessPolicy.updatedKey(bound, by: .master, team: .some(nil))
        #expect(unbound.role == .gateway && unbound.tenant == nil)
        #expect(try AccessPolicy.updatedKey(shared, by: .master, team: .some("t2")).role == .gateway)
        // Other keys still take the role their new place needs.
        #expect(try AccessPolicy.updatedKey(Self.record(.tenantMember, "t1"), by: .master, team: .some(nil)).role == .personal)
        #expect(try AccessPolicy.updatedKey(Self.record(.personal, nil), by: .master, team: .some("t1")).role == .tenantMember)
    }

    @Test("the routing view is for gateway keys only")
    func routingView() {
        for role in Principal.Role.allCases {
            for tenant in [nil, "t1"] as [String?] {
                let principal = Principal(role: role, tenantID: tenant, actor: "key:x")
                #expect(AccessPolicy.receivesRoutingView(principal) == (role == .gateway), "\(role) \(tenant ?? "-")")
            }
        }
        #expect(!AccessPolicy.receivesRoutingView(.master))
        #expect(!AccessPolicy.receivesRoutingView(.config))
    }
}
