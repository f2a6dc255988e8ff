import Catalog
import Testing

/// The credential rules of the access policy, the redaction rule for the name a deployment uses
/// to point at one, and the request bodies (the PATCH echo of the masked read-back above all).
@Suite("Credentials: policy, redaction and input")
struct CredentialPolicyTests {
    static let admin = Principal.master
    static let t1Admin = Principal(role: .tenantAdmin, tenantID: "t1", actor: "key:t1-admin")
    static let t1Member = Principal(role: .tenantMember, tenantID: "t1", actor: "key:t1-member")
    static let t1Listed = Principal(role: .tenantMember, tenantID: "t1", allowedModels: ["gpt-4o"], actor: "key:t1-listed")
    static let t2Admin = Principal(role: .tenantAdmin, tenantID: "t2", actor: "key:t2-admin")
    /// "café" in NFD: another team than NFC "café", whatever Swift's String equality says.
    static let nfdAdmin = Principal(role: .tenantAdmin, tenantID: "cafe\u{301}", actor: "key:nfd")

    enum Outcome: Equatable { case allowed, hidden, forbidden }

    static func outcome(_ principal: Principal, _ access: AccessPolicy.Access, _ tenant: String?) -> Outcome {
        switch AccessPolicy.decide(principal, access, .credential(tenant: tenant)) {
        case .allowed: .allowed
        case .hidden: .hidden
        case .forbidden: .forbidden
        }
    }

    @Test("who may read, create, change and delete a credential of t1, of t2 and a shared one")
    func table() {
        // (principal, access, tenant) → outcome
        let rows: [(Principal, AccessPolicy.Access, String?, Outcome)] = [
            (Self.admin, .read, "t1", .allowed), (Self.admin, .create, nil, .allowed), (Self.admin, .change, "t2", .allowed),
            (Self.admin, .delete, nil, .allowed),
            (Self.t1Admin, .read, "t1", .allowed), (Self.t1Admin, .create, "t1", .allowed), (Self.t1Admin, .change, "t1", .allowed),
            (Self.t1Admin, .delete, "t1", .allowed),
            (Self.t1Admin, .read, nil, .allowed), (Self.t1Admin, .create, nil, .forbidden), (Self.t1Admin, .change, nil, .forbidden),
            (Self.t1Admin, .delete, nil, .forbidden),
            (Self.t1Admin, .read, "t2", .hidden), (Self.t1Admin, .create, "t2", .forbidden), (Self.t1Admin, .change, "t2", .hidden),
            (Self.t1Admin, .delete, "t2", .hidden),
            (Self.t1Member, .read, "t1", .allowed), (Self.t1Member, .read, nil, .allowed), (Self.t1Member, .read, "t2", .hidden),
            (Self.t1Member, .create, "t1", .forbidden), (Self.t1Member, .change, "t1", .forbidden), (Self.t1Member, .delete, "t1", .forbidden),
            (Self.t1Member, .change, "t2", .hidden),
            (Self.t1Listed, .read, "t1", .allowed), (Self.t1Listed, .read, "t2", .hidden),
            (Self.t2Admin, .read, "t1", .hidden), (Self.t2Admin, .change, "t1", .hidden), (Self.t2Admin, .delete, "t1", .hidden),
            (Self.nfdAdmin, .read, "caf\u{E9}", .hidden), (Self.nfdAdmin, .change, "caf\u{E9}", .hidden),
            (Self.nfdAdmin, .read, "cafe\u{301}", .allowed),
        ]
        for (principal, access, tenant, expected) in rows {
            #expect(Self.outcome(principal, access, tenant) == expected, "\(principal.actor) \(access) \(tenant ?? "shared")")
        }
    }

    @Test("a new credential's team: an admin's is shared unless it names one; a tenant admin's is its own")
    func newCredentialTeam() throws {
        #expect(try AccessPolicy.tenant(forCredential: "c", by: Self.admin, requested: nil) == nil)
        #expect(try AccessPolicy.tenant(forCredential: "c", by: Self.admin, requested: "t2") == "t2")
        #expect(try AccessPolicy.tenant(forCredential: "c", by: Self.t1Admin, requested: nil) == "t1")
        #expect(try AccessPolicy.tenant(forCredential: "c", by: Self.t1Admin, requested: "t1") == "t1")
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forCredential: "c", by: Self.t1Admin, requested: "t2") }
        #expect(throws: CatalogError.self) { try AccessPolicy.tenant(forCredential: "c", by: Self.t1Member, requested: nil) }
    }

    @Test("a model may use a shared credential or its own team's; a shared model only shared ones")
    func useRule() {
        #expect(AccessPolicy.mayUse(credentialOf: nil, inModelOf: nil))
        #expect(AccessPolicy.mayUse(credentialOf: nil, inModelOf: "t1"))
        #expect(AccessPolicy.mayUse(credentialOf: "t1", inModelOf: "t1"))
        #expect(!AccessPolicy.mayUse(credentialOf: "t1", inModelOf: "t2"))
        #expect(!AccessPolicy.mayUse(credentialOf: "t1", inModelOf: nil))
        #expect(!AccessPolicy.mayUse(credentialOf: "caf\u{E9}", inModelOf: "cafe\u{301}"))
    }

    @Test("a credential that may not be used is refused in the same words as a missing one, naming the field")
    func useRefusal() throws {
        func message(_ owner: Credential.Owner?, _ tenant: String?) -> CatalogError? {
            do { try AccessPolicy.checkCredentialUse("c1", credential: owner, modelTenant: tenant); return nil } catch let error as CatalogError { return error } catch { return nil }
        }
        #expect(message(.init(tenant: "t1"), "t1") == nil)
        #expect(message(.init(tenant: nil), "t2") == nil)
        let missing = try #require(message(nil, "t2"))
        let others = try #require(message(.init(tenant: "t1"), "t2"))
        #expect(missing == others)
        guard case .invalid(let field, let text) = others else { Issue.record("not invalid: \(others)"); return }
        #expect(field == "litellm_params.litellm_credential_name")
        #expect(text.contains("c1") && !text.contains("t1"))
    }

    @Test("litellm_params.litellm_credential_name is public: shown and stored as written, though 'credential' is a secret piece")
    func credentialNameIsPublic() throws {
        let params: [String: JSONValue] = ["model": "openai/gpt-4o", "litellm_credential_name": "openai-prod", "credential": "sk-x"]
        let shown = Redaction.redact(params)
        #expect(shown["litellm_credential_name"] == "openai-prod")
        #expect(shown["credential"] == .string(Redaction.placeholder))
        let (stored, secrets) = try SecretSplit.split(params)
        #expect(stored["litellm_credential_name"] == "openai-prod")
        #expect(secrets[[.key("litellm_credential_name")]] == nil)
        // Only at the top of litellm_params: elsewhere the name is judged as any other.
        #expect(Redaction.redact(["nested": ["litellm_credential_name": "x"]])["nested"]?["litellm_credential_name"] == .string(Redaction.placeholder))
        #expect(Redaction.redact(["litellm_credential_name": "x"], document: .metadata)["litellm_credential_name"] == .string(Redaction.placeholder))
    }

    @Test("the view shows value names with the placeholder, never a value, and credential_info through Redaction")
    func view() {
        let credential = Credential(name: "c", tenantID: "t1", info: ["custom_llm_provider": "openai", "password": "leak"],
                                    valueNames: ["api_key", "api_base"])
        let shown = CredentialView.json(credential)
        #expect(shown["credential_values"] == ["api_base": "********", "api_key": "********"])
        #expect(shown["credential_info"]?["custom_llm_provider"] == "openai")
        #expect(shown["credential_info"]?["password"] == "********")
        #expect(shown["credential_info"]?["team_id"] == "t1")
        #expect(shown["source"] == "db")
    }

    @Test("create bodies: required fields, types, no secret in credential_info, no placeholder as a value")
    func createInput() throws {
        let ok = try CredentialInput.new(from: [
            "credential_name": "c", "credential_info": ["team_id": "t1"], "credential_values": ["api_key": "sk-1", "x": nil],
        ])
        #expect(ok.values == ["api_key": "sk-1"])
        #expect(ok.requestedTeam == "t1")
        #expect(ok.credential.valueNames == ["api_key"])
        let bad: [(JSONValue, String?)] = [
            (["credential_values": ["a": "b"]], "credential_name"),
            (["credential_name": "", "credential_values": ["a": "b"]], "credential_name"),
            (["credential_name": 3, "credential_values": ["a": "b"]], "credential_name"),
            (["credential_name": "a/b", "credential_values": ["a": "b"]], "credential_name"),
            (["credential_name": "c"], "credential_values"),
            (["credential_name": "c", "credential_values": "sk"], "credential_values"),
            (["credential_name": "c", "credential_values": [:]], "credential_values"),
            (["credential_name": "c", "credential_values": ["api_key": "********"]], "credential_values.api_key"),
            (["credential_name": "c", "credential_values": ["a": "b"], "credential_info": ["api_key": "sk-2"]], "credential_info.api_key"),
            (["credential_name": "c", "credential_values": ["a": "b"], "credential_info": ["note": "https://u:p@h"]], "credential_info.note"),
            (["credential_name": "c", "credential_values": ["a": "b"], "credential_info": ["team_id": 7]], "credential_info.team_id"),
            (["credential_name": "c", "credential_values": ["a": "b"], "credential_info": []], "credential_info"),
            (["credential_name": "c", "credential_values": ["a": "b"], "display_name": 1], "display_name"),
            (["credential_name": "c", "model_id": "m"], "model_id"),
            ([1, 2], nil),
        ]
        for (body, field) in bad {
            #expect(throws: CatalogError.self, "\(body)") { try CredentialInput.new(from: body) }
            if case .invalid(let named, _)? = Self.error({ _ = try CredentialInput.new(from: body) }) { #expect(named == field, "\(body)") }
        }
    }

    @Test("PATCH: the masked read-back keeps the stored value; a placeholder with nothing to keep is refused")
    func patchEcho() throws {
        let current = Credential(name: "c", tenantID: "t1", info: ["team_id": "t1", "a": 1], valueNames: ["api_key", "api_base"])
        let values: [String: JSONValue] = ["api_key": "sk-old", "api_base": "https://x"]
        let rotate = try CredentialInput.patch(from: ["credential_info": ["b": 2], "credential_values": ["api_key": "sk-new", "api_base": "********"]], name: "c")
        let (updated, newValues) = try CredentialInput.apply(rotate, to: current, values: values)
        #expect(newValues == ["api_key": "sk-new", "api_base": "https://x"])
        #expect(updated.info == ["team_id": "t1", "a": 1, "b": 2])
        #expect(updated.valueNames == ["api_base", "api_key"])

        let phantom = try CredentialInput.patch(from: ["credential_values": ["region": "********"]], name: "c")
        #expect(throws: CatalogError.invalid(field: "credential_values.region", message: Self.message({ _ = try CredentialInput.apply(phantom, to: current, values: values) }))) {
            try CredentialInput.apply(phantom, to: current, values: values)
        }
        let delete = try CredentialInput.patch(from: ["credential_values_to_delete": ["api_base"], "display_name": "Prod"], name: "c")
        let (renamed, fewer) = try CredentialInput.apply(delete, to: current, values: values)
        #expect(fewer == ["api_key": "sk-old"])
        #expect(renamed.displayName == "Prod")

        for body: JSONValue in [
            ["credential_name": "other"], ["credential_values": ["a": "b"], "credential_values_to_delete": ["a"]],
            ["credential_values_to_delete": "a"], ["credential_values": []], ["model_id": "m"],
        ] {
            #expect(throws: CatalogError.self, "\(body)") { try CredentialInput.patch(from: body, name: "c") }
        }
        let move = try CredentialInput.patch(from: ["credential_info": ["team_id": "t2"]], name: "c")
        #expect(throws: CatalogError.self) { try CredentialInput.apply(move, to: current, values: values) }
        let unshare = try CredentialInput.patch(from: ["credential_info": ["team_id": nil]], name: "c")
        #expect(throws: CatalogError.self) { try CredentialInput.apply(unshare, to: current, values: values) }
    }

    static func error(_ body: () throws -> Void) -> CatalogError? {
        do { try body(); return nil } catch let error as CatalogError { return error } catch { return nil }
    }

    static func message(_ body: () throws -> Void) -> String {
        if case .invalid(_, let message)? = error({ try body() }) { return message }
        return ""
    }
}
