import Catalog
import Foundation
import Testing

/// The policy's answers to issue 11's attacks, in milliseconds: byte-exact tenants and names,
/// allow-lists with `*` and separators, keys bounded by their makers, the model id namespace,
/// history entry by entry, and the rule for new team ids.
@Suite("Access policy hardening")
struct AccessHardeningTests {
    static let nfc = "caf\u{E9}"
    static let nfd = "cafe\u{301}"

    static func admin(_ team: String, models: [String]? = nil, expires: Date? = nil) -> Principal {
        Principal(role: .tenantAdmin, tenantID: team, allowedModels: models, actor: "key:\(team)-admin", expiresAt: expires)
    }

    static func model(_ id: String, _ team: String?, _ name: String = "gpt-4o") -> Deployment {
        Deployment(id: id, tenantID: team, modelName: name, litellmParams: ["model": "openai/gpt-4o"])
    }

    @Test("NFC and NFD ids are one String to Swift and two ids to the policy, as to PostgreSQL")
    func exactIDs() {
        #expect(Self.nfc == Self.nfd, "the premise: Swift's String == merges them")
        #expect(ExactID(Self.nfc) != ExactID(Self.nfd))
        #expect(Set([ExactID(Self.nfc), ExactID(Self.nfd)]).count == 2)
        #expect(!ExactID.same(Self.nfc, Self.nfd) && ExactID.same(nil, nil) && !ExactID.same(Self.nfc, nil))
    }

    @Test("the NFD team's admin reaches nothing of the NFC team: models, team, keys, history")
    func confusableTenants() {
        let nfdAdmin = Self.admin(Self.nfd)
        #expect(AccessPolicy.decide(nfdAdmin, .read, .model(tenant: Self.nfc, name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.decide(nfdAdmin, .change, .model(tenant: Self.nfc, name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.decide(nfdAdmin, .read, .team(id: Self.nfc)) == .hidden)
        #expect(AccessPolicy.decide(nfdAdmin, .read, .teamKeys(team: Self.nfc)) == .hidden)
        #expect(AccessPolicy.decide(nfdAdmin, .delete, .key(tenant: Self.nfc, role: .tenantMember, isCaller: false)) == .hidden)
        #expect(AccessPolicy.decide(nfdAdmin, .read, .history(tenant: Self.nfc, name: "gpt-4o")) == .hidden)
        #expect(AccessPolicy.visible([Self.model("a", Self.nfc), Self.model("b", Self.nfd)], to: nfdAdmin).map(\.id) == ["b"])
        #expect(AccessPolicy.visible([Self.model("a", Self.nfc), Self.model("b", Self.nfd)], to: .master, tenantFilter: Self.nfc).map(\.id) == ["a"])
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: nfdAdmin, team: Self.nfc, role: nil) }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forModel: "m", named: "x", by: nfdAdmin, requested: Self.nfc) }
        #expect(AccessPolicy.readScope(of: nfdAdmin) != AccessPolicy.readScope(of: Self.admin(Self.nfc)))
    }

    @Test("allow-lists: \"*\" and LiteLLM's all-proxy-models mean every model; separators are part of one name")
    func allowLists() {
        #expect(ModelAllowList(["*"]) == .all)
        #expect(ModelAllowList(["gpt-4o", "all-proxy-models"]) == .all)
        #expect(ModelAllowList(nil) == .all)
        #expect(ModelAllowList([]) == .only([]), "a stored empty list allows nothing")
        #expect(ModelAllowList(["a,b"]).allows("a,b") && !ModelAllowList(["a,b"]).allows("a"))
        #expect(!ModelAllowList(["x|*"]).allows("x") && !ModelAllowList(["x|*"]).allows("y"))
        #expect(!ModelAllowList([Self.nfc]).allows(Self.nfd))
        func scope(_ models: [String]?, _ team: String = "t") -> AccessPolicy.ReadScope {
            AccessPolicy.readScope(of: Principal(role: .tenantMember, tenantID: team, allowedModels: models, actor: "k"))
        }
        // "*" sees what an unrestricted key sees, so sharing its cached answers is right.
        #expect(scope(["*"]) == scope(nil))
        #expect(scope(["a,b"]) != scope(["a", "b"]))
        #expect(scope(["a|b"]) != scope(["a", "b"]))
        #expect(scope(["x|*"], "t") != scope(nil, "t|x"))
        #expect(scope([Self.nfc]) != scope([Self.nfd]))
        let listed = Principal(role: .tenantMember, tenantID: "t", allowedModels: ["*"], actor: "k")
        #expect(AccessPolicy.visible([Self.model("a", "t", "anything"), Self.model("b", nil, "shared")], to: listed).count == 2)
        let separators = Principal(role: .tenantMember, tenantID: "t", allowedModels: ["a,b", "x|*"], actor: "k")
        #expect(AccessPolicy.visible([Self.model("1", "t", "a"), Self.model("2", "t", "b"), Self.model("3", "t", "x")], to: separators).isEmpty)
    }

    @Test("a minted key is at most its maker: allow-list within, expiry no later")
    func mintingBounds() throws {
        let hour = Date().addingTimeInterval(3600)
        let restricted = Self.admin("t", models: ["gpt-4o", "claude"])
        #expect(try AccessPolicy.newKey(by: restricted, team: nil, role: nil).models == ["gpt-4o", "claude"], "a list not given is the maker's")
        #expect(try AccessPolicy.newKey(by: restricted, team: nil, role: nil, models: ["claude"]).models == ["claude"])
        for wider in [["other"], ["*"], ["all-proxy-models"], ["claude", "other"]] {
            #expect(throws: CatalogError.forbidden(message: "a key cannot allow models the key that makes it may not use")) {
                try AccessPolicy.newKey(by: restricted, team: nil, role: nil, models: wider)
            }
        }
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: Self.admin("t"), team: nil, role: nil, models: ["openai/*"]) }
        #expect(try AccessPolicy.newKey(by: Self.admin("t"), team: nil, role: nil, models: ["*"]).models == nil)

        let expiring = Self.admin("t", expires: hour)
        #expect(try AccessPolicy.newKey(by: expiring, team: nil, role: nil).expiresAt == hour, "no expiry given: the maker's")
        let sooner = hour.addingTimeInterval(-60)
        #expect(try AccessPolicy.newKey(by: expiring, team: nil, role: .tenantAdmin, expiresAt: sooner).expiresAt == sooner)
        #expect(throws: CatalogError.self) { try AccessPolicy.newKey(by: expiring, team: nil, role: nil, expiresAt: hour.addingTimeInterval(60)) }
        let expiringAdmin = Principal(role: .admin, actor: "key:a", expiresAt: hour)
        #expect(try AccessPolicy.newKey(by: expiringAdmin, team: nil, role: .admin).expiresAt == hour)
        #expect(try AccessPolicy.newKey(by: .master, team: nil, role: .admin).expiresAt == nil)
    }

    @Test("a restricted tenant admin creates and changes only models its allow-list names")
    func restrictedModelWrites() {
        let restricted = Self.admin("t", models: ["gpt-4o"])
        #expect(throws: Never.self) { try AccessPolicy.tenant(forModel: "m", named: "gpt-4o", by: restricted, requested: nil) }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forModel: "m", named: "other", by: restricted, requested: nil) }
        #expect(AccessPolicy.decide(restricted, .create, .model(tenant: "t", name: "other")) != .allowed)
        #expect(AccessPolicy.decide(restricted, .change, .model(tenant: "t", name: "other")) == .hidden)
    }

    @Test("model ids: a team key chooses them only in its namespace; a namespaced id stays in its team")
    func modelIDNamespace() {
        #expect(AccessPolicy.namespace(ofModelID: "team:t1:m") == "t1")
        #expect(AccessPolicy.namespace(ofModelID: "team:t1") == nil)
        #expect(AccessPolicy.namespace(ofModelID: "b-m1") == nil)
        func outcome(_ id: String, _ who: Principal, team: String?, chosen: Bool = true) -> Bool {
            (try? AccessPolicy.tenant(forModel: id, named: "gpt-4o", by: who, requested: team, chosenID: chosen)) != nil
        }
        let t1 = Self.admin("t1")
        #expect(outcome("team:t1:m", t1, team: nil))
        #expect(!outcome("b-m1", t1, team: nil), "any id outside the namespace is refused, taken or not")
        #expect(!outcome("team:t2:m", t1, team: nil))
        #expect(outcome("0b1c-generated", t1, team: nil, chosen: false))
        #expect(!outcome("team:t1:m", Self.admin("t1", models: ["gpt-4o"]), team: nil), "an allow-list may hide own models")
        #expect(outcome("b-m1", .master, team: "t2"))
        #expect(!outcome("team:t1:m", .master, team: "t2"), "not even an admin puts t1's ids in t2")
        #expect(!outcome("team:t1:m", .master, team: nil))
        #expect(!outcome("team:\(Self.nfd):m", Self.admin(Self.nfc), team: nil))
    }

    @Test("history: an entry is shown only to who may see every state it holds")
    func historyEntries() {
        let a = Self.admin("team-a"), b = Self.admin("team-b")
        let old = Self.model("b-m1", "team-b"), reused = Self.model("b-m1", "team-a")
        #expect(!AccessPolicy.readsHistoryEntry(states: [old], by: a))
        #expect(AccessPolicy.readsHistoryEntry(states: [old], by: b))
        #expect(AccessPolicy.readsHistoryEntry(states: [reused], by: a))
        #expect(!AccessPolicy.readsHistoryEntry(states: [old, reused], by: a), "a move shows neither side the other's row")
        #expect(!AccessPolicy.readsHistoryEntry(states: [old, reused], by: b))
        #expect(AccessPolicy.readsHistoryEntry(states: [old, reused], by: .master))
        #expect(!AccessPolicy.readsHistoryEntry(states: [], by: a))
        let listed = Principal(role: .tenantMember, tenantID: "team-a", allowedModels: ["other"], actor: "k")
        #expect(!AccessPolicy.readsHistoryEntry(states: [reused], by: listed))
        #expect(!AccessPolicy.readsHistoryEntry(states: [Self.model("s", nil)], by: a), "a shared model's history is for admins")
    }

    @Test("new team ids: NFKC, no invisible characters, not equivalent to an existing team")
    func teamIDs() throws {
        try TeamIDRule.checkNew(Self.nfc, existing: [])
        try TeamIDRule.checkNew("team a", existing: ["team-b"])
        for bad in [Self.nfd, "", String(repeating: "x", count: 257), "a\u{200B}b", "a\u{202E}b", "\u{FF54}eam", "\u{FB01}x", "a\tb", "a\u{0}b"] {
            #expect(throws: CatalogError.self, "\(bad.unicodeScalars.map { String($0.value, radix: 16) })") {
                try TeamIDRule.checkNew(bad, existing: [])
            }
        }
        #expect(throws: CatalogError.conflict(field: "team_id", message: "team_id is equivalent to the id of the existing team '\(Self.nfd)'")) {
            try TeamIDRule.checkNew(Self.nfc, existing: [Self.nfd])
        }
    }
}
