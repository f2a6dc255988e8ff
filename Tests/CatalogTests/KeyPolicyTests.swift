import Catalog
import Foundation
import Testing

/// Issue 12's rules in the policy: personal keys (LiteLLM's default virtual key), a team's
/// allow-list intersected with its keys' lists, and changes of existing keys bounded like new ones.
@Suite("Access policy: personal keys, team allow-lists, key changes")
struct KeyPolicyTests {
    static let deployments = [
        Deployment(id: "s1", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
        Deployment(id: "s2", modelName: "claude", litellmParams: ["model": "anthropic/claude"]),
        Deployment(id: "t1a", tenantID: "t1", modelName: "gpt-4o", litellmParams: ["model": "openai/gpt-4o"]),
        Deployment(id: "t1b", tenantID: "t1", modelName: "t1-model", litellmParams: ["model": "openai/x"]),
        Deployment(id: "t2a", tenantID: "t2", modelName: "t2-model", litellmParams: ["model": "openai/x"]),
    ]

    static func ids(_ principal: Principal) -> [String] {
        AccessPolicy.visible(deployments, to: principal).map(\.id)
    }

    static let personal = Principal(role: .personal, actor: "key:p")
    static let narrowPersonal = Principal(role: .personal, allowedModels: ["claude", "t1-model"], actor: "key:p2")

    @Test("a personal key reads the shared models only, narrowed by its list, and writes nothing")
    func personalKeys() throws {
        #expect(Self.ids(Self.personal) == ["s1", "s2"])
        #expect(Self.ids(Self.narrowPersonal) == ["s2"], "a team model named in the list stays hidden")
        for access in [AccessPolicy.Access.create, .change, .delete] {
            guard case .forbidden = AccessPolicy.decide(Self.personal, access, .model(tenant: nil, name: "gpt-4o")) else {
                Issue.record("a personal key may \(access) a shared model")
                continue
            }
        }
        #expect(AccessPolicy.decide(Self.personal, .read, .model(tenant: "t1", name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.decide(Self.personal, .change, .model(tenant: "t1", name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.decide(Self.personal, .read, .team(id: "t1")) == .hidden)
        #expect(AccessPolicy.decide(Self.personal, .read, .history(tenant: nil, name: "gpt-4o")) == .hidden)
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: Self.personal, team: nil, role: nil) }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forModel: "m", named: "gpt-4o", by: Self.personal, requested: nil) }
        // Its own key only.
        let own = APIKeyRecord(id: UUID(), alias: nil, role: .personal, tenantID: nil, models: nil, expiresAt: nil, createdAt: nil, createdBy: nil)
        #expect(AccessPolicy.canRead(own, by: own.principal, isCaller: true))
        #expect(!AccessPolicy.canRead(own, by: Self.personal, isCaller: false))
        #expect(own.isKey(of: own.principal) && !own.isKey(of: Self.personal))
    }

    @Test("an admin's bare key is personal; an admin key is still asked for by role")
    func defaults() throws {
        let bare = try AccessPolicy.newKey(by: .master, team: nil, role: nil, models: ["gpt-4o"])
        #expect(bare.role == .personal && bare.tenant == nil && bare.models == ["gpt-4o"])
        #expect(try AccessPolicy.newKey(by: .master, team: nil, role: .admin).role == .admin)
        #expect(try AccessPolicy.newKey(by: .master, team: "t1", role: nil).role == .tenantMember)
    }

    @Test("a team key's list is its own intersected with its team's; an empty team list restricts nothing")
    func teamIntersection() throws {
        func member(_ own: [String]?, team: [String]?) -> Principal {
            Principal(role: .tenantMember, tenantID: "t1", allowedModels: own, actor: "key:m", teamModels: team)
        }
        #expect(Self.ids(member(nil, team: nil)) == ["s1", "s2", "t1a", "t1b"])
        #expect(Self.ids(member(nil, team: [])) == ["s1", "s2", "t1a", "t1b"], "LiteLLM's models: [] is every model")
        #expect(Self.ids(member(nil, team: ["gpt-4o"])) == ["s1", "t1a"])
        #expect(Self.ids(member(["gpt-4o", "claude"], team: ["claude", "t1-model"])) == ["s2"])
        #expect(Self.ids(member(["*"], team: ["t1-model"])) == ["t1b"])
        #expect(Self.ids(member(["gpt-4o"], team: ["all-proxy-models"])) == ["s1", "t1a"])
        #expect(Self.ids(member(["gpt-4o"], team: ["claude"])) == [], "disjoint lists allow nothing")
        let both = member(["a", "b"], team: ["b", "c"]).allowList
        #expect(both.allows("b") && !both.allows("a") && !both.allows("c"))
        // Writes too: a tenant admin creates only what both lists allow.
        let admin = Principal(role: .tenantAdmin, tenantID: "t1", actor: "key:a", teamModels: ["t1-model"])
        #expect(AccessPolicy.decide(admin, .create, .model(tenant: "t1", name: "t1-model")) == .allowed)
        guard case .forbidden = AccessPolicy.decide(admin, .create, .model(tenant: "t1", name: "gpt-4o")) else {
            Issue.record("a team list does not bind the team admin's creates")
            return
        }
        #expect(AccessPolicy.decide(admin, .change, .model(tenant: "t1", name: "gpt-4o")) == .hidden)
        // A key it makes is bounded by the maker's own list; being of the same team, the team's list
        // narrows it at use (a team list may name access groups, which only the catalog resolves).
        let minted = try AccessPolicy.newKey(by: admin, team: nil, role: nil, models: ["gpt-4o", "t1-model"])
        #expect(minted.models == ["gpt-4o", "t1-model"])
        let mintedPrincipal = Principal(role: minted.role, tenantID: minted.tenant, allowedModels: minted.models, actor: "key:m",
                                        teamModels: admin.teamModels)
        #expect(mintedPrincipal.allowList.allows("t1-model") && !mintedPrincipal.allowList.allows("gpt-4o"))
        let narrow = Principal(role: .tenantAdmin, tenantID: "t1", allowedModels: ["t1-model"], actor: "key:n")
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: narrow, team: nil, role: nil, models: ["gpt-4o"]) }
    }

    static func record(_ role: Principal.Role, _ tenant: String?, models: [String]? = nil, expires: Date? = nil) -> APIKeyRecord {
        APIKeyRecord(id: UUID(), alias: "k", role: role, tenantID: tenant, models: models, expiresAt: expires, createdAt: nil, createdBy: nil)
    }

    static func outcome(_ body: () throws -> AccessPolicy.NewKey) -> String {
        do {
            let key = try body()
            return "\(key.role.rawValue)@\(key.tenant ?? "-")"
        } catch CatalogError.invalid(let field, _) {
            return "invalid:\(field ?? "")"
        } catch CatalogError.forbidden {
            return "forbidden"
        } catch CatalogError.notFound {
            return "hidden"
        } catch {
            return "\(error)"
        }
    }

    @Test("moving a key: admins only; out of every team it is personal, into one a member")
    func moves() {
        let t1Admin = Principal(role: .tenantAdmin, tenantID: "t1", actor: "key:a")
        let member = Self.record(.tenantMember, "t1")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: .master, team: .some("t2")) } == "tenant_member@t2")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: .master, team: .some(nil)) } == "personal@-")
        #expect(Self.outcome { try AccessPolicy.updatedKey(Self.record(.personal, nil), by: .master, team: .some("t1")) } == "tenant_member@t1")
        #expect(Self.outcome { try AccessPolicy.updatedKey(Self.record(.admin, nil), by: .master, team: .some("t1")) } == "invalid:team_id")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: t1Admin, team: .some("t2")) } == "forbidden")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: t1Admin, team: .some(nil)) } == "forbidden")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: t1Admin, team: .some("t1")) } == "tenant_member@t1", "its own team is no move")
        #expect(Self.outcome { try AccessPolicy.updatedKey(Self.record(.tenantMember, "t2"), by: t1Admin) } == "hidden")
        #expect(Self.outcome { try AccessPolicy.updatedKey(Self.record(.personal, nil), by: t1Admin) } == "hidden")
        let t1Member = Principal(role: .tenantMember, tenantID: "t1", actor: "key:m")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: t1Member) } == "hidden")
        #expect(Self.outcome { try AccessPolicy.updatedKey(member, by: t1Member, isCaller: true) } == "forbidden", "a key does not change itself")
    }

    @Test("a changed key is bounded by who changes it: list within, expiry no later")
    func bounds() throws {
        let hour = Date().addingTimeInterval(3600)
        let restricted = Principal(role: .tenantAdmin, tenantID: "t1", allowedModels: ["gpt-4o", "claude"], actor: "key:r", expiresAt: hour)
        let key = Self.record(.tenantMember, "t1", models: ["gpt-4o"], expires: hour.addingTimeInterval(-60))
        #expect(try AccessPolicy.updatedKey(key, by: restricted, models: .some(["claude"])).models == ["claude"])
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(key, by: restricted, models: .some(["t1-model"])) }
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(key, by: restricted, models: .some(nil)) }
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(key, by: restricted, models: .some(["openai/*"])) }
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(key, by: restricted, expiresAt: .some(nil)) }
        #expect(throws: CatalogError.self) { try AccessPolicy.updatedKey(key, by: restricted, expiresAt: .some(hour.addingTimeInterval(60))) }
        let kept = try AccessPolicy.updatedKey(key, by: restricted)
        #expect(kept.models == ["gpt-4o"] && kept.expiresAt == key.expiresAt, "nothing given: nothing changes")
        let admin = try AccessPolicy.updatedKey(key, by: .master, models: .some(nil), expiresAt: .some(nil))
        #expect(admin.models == nil && admin.expiresAt == nil)
    }
}
