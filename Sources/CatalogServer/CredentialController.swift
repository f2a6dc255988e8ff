import Catalog
import CatalogStore
import Hummingbird

/// LiteLLM's credential endpoints: POST /credentials, GET /credentials, GET
/// /credentials/by_name/{name}, GET /credentials/by_model/{model_id}, PATCH and DELETE
/// /credentials/{name}. Values go in (sealed by the store) and never come out: every reply is
/// built by `CredentialView` from names only. Who may do what is `AccessPolicy`'s.
struct CredentialController: Sendable {
    let credentials: CredentialRepository
    let reader: CredentialReader
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/credentials", use: create)
        group.get("/credentials", use: list)
        group.get("/credentials/by_name/{name}", use: byName)
        group.get("/credentials/by_model/{model_id}", use: byModel)
        group.patch("/credentials/{name}", use: update)
        group.delete("/credentials/{name}", use: delete)
    }

    @Sendable func create(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var new = try CredentialInput.new(from: try await RequestJSON.read(request))
        new.credential.tenantID = try AccessPolicy.tenant(forCredential: new.credential.name, by: principal, requested: new.requestedTeam)
        let created = try await credentials.create(new.credential, values: new.values, actor: principal.actor)
        await afterWrite(.credentials)
        return EntityTags.tagged(JSONBody.response(["success": true, "message": "Credential created successfully"]), version: created.version)
    }

    /// The credentials the caller may read: every one for admins; a team key's own team's and the shared ones.
    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let visible = try await reader.credentials().all.filter {
            AccessPolicy.decide(principal, .read, .credential(tenant: $0.tenantID)).isAllowed
        }
        return JSONBody.response(["success": true, "credentials": .array(visible.map(CredentialView.json))])
    }

    @Sendable func byName(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("name")
        let credential = try Self.visible(try await reader.credentials().credential(named: name), named: name, to: principal, .read)
        return EntityTags.tagged(JSONBody.response(CredentialView.json(credential)), version: credential.version)
    }

    /// The credential a deployment names (`litellm_params.litellm_credential_name`), from one
    /// snapshot. A deployment the caller may not see is not found; one that names no credential
    /// (or one no longer there) is a 404 that says so.
    @Sendable func byModel(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.pathParameter("model_id")
        let (set, deployments) = try await reader.withDeployments()
        guard let deployment = deployments.first(where: { ExactID($0.id) == ExactID(id) }),
              AccessPolicy.decide(principal, .read, .model(tenant: deployment.tenantID, name: deployment.modelName)).isAllowed
        else { throw CatalogError.notFound(message: "model '\(id)' not found") }
        guard let name = try? Credential.named(in: deployment.litellmParams) else {
            throw CatalogError.notFound(message: "model '\(id)' names no credential (litellm_params.litellm_credential_name)")
        }
        let credential = try Self.visible(set.credential(named: name), named: name, to: principal, .read)
        return JSONBody.response(CredentialView.json(credential))
    }

    /// Changes display_name, credential_info or credential_values (a rotation). A value sent back
    /// as the masked placeholder keeps the stored one.
    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("name")
        let expected = try EntityTags.precondition(request)
        let patch = try CredentialInput.patch(from: try await RequestJSON.read(request), name: name)
        let updated = try await credentials.update(name: name, actor: principal.actor) { current, values in
            _ = try Self.visible(current, named: name, to: principal, .change)
            try expected?.check(version: current.version, of: "credential '\(name)'")
            return try CredentialInput.apply(patch, to: current, values: values)
        }
        await afterWrite(.credentials)
        return EntityTags.tagged(JSONBody.response(["success": true, "message": "Credential updated successfully"]), version: updated.version)
    }

    /// Refused (409, naming the deployments the caller may see and counting the others) while
    /// deployments still name it, unless `?force=true`.
    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let name = try context.pathParameter("name")
        let force = try Self.force(request)
        let expected = try EntityTags.precondition(request)
        _ = try await credentials.delete(
            name: name, force: force, actor: principal.actor,
            allow: { current in
                _ = try Self.visible(current, named: name, to: principal, .delete)
                try expected?.check(version: current.version, of: "credential '\(name)'")
            },
            describe: { users in Self.inUse(name, users: users, by: principal) })
        await afterWrite(.credentials)
        return JSONBody.response(["success": true, "message": "Credential deleted successfully"])
    }

    /// `credential` when the policy lets `principal` do `access` to it; hidden ones (and absent
    /// ones) are not found, in the same words.
    static func visible(_ credential: Credential?, named name: String, to principal: Principal, _ access: AccessPolicy.Access) throws -> Credential {
        let message = "credential '\(name)' not found"
        guard let credential else { throw CatalogError.notFound(message: message) }
        try AccessPolicy.authorize(principal, access, .credential(tenant: credential.tenantID), hiddenMessage: message)
        return credential
    }

    static func force(_ request: Request) throws -> Bool {
        guard let value = request.uri.queryParameters["force"].map(String.init) else { return false }
        switch value.lowercased() {
        case "true", "1": return true
        case "false", "0", "": return false
        default: throw CatalogError.invalid(field: "force", message: "force must be true or false")
        }
    }

    /// The 409's words: the models `principal` may see by id, the others only counted.
    static func inUse(_ name: String, users: [CredentialRepository.User], by principal: Principal) -> String {
        let shown = users.filter { AccessPolicy.decide(principal, .read, .model(tenant: $0.tenantID, name: $0.modelName)).isAllowed }
        var parts = shown.map { "'\($0.id)'" }
        let hidden = users.count - shown.count
        if hidden > 0 { parts.append("\(hidden) model(s) this key cannot see") }
        return "credential '\(name)' is still used by \(users.count) model(s): \(parts.joined(separator: ", ")); "
            + "point them at another credential first, or delete with ?force=true (they then name a credential that does not exist)"
    }
}

/// Where credential reads come from: the replica's snapshot (names, team, info, version: never
/// values), or the database (`serve --no-cache`). One snapshot per request.
struct CredentialReader: Sendable {
    let store: SnapshotStore?
    let credentials: CredentialRepository
    let models: ModelRepository

    func credentials() async throws -> CredentialSet {
        if let store { return store.snapshot.credentials }
        return CredentialSet(try await credentials.all())
    }

    /// The credentials and the deployments, from one snapshot (or one round of queries).
    func withDeployments() async throws -> (CredentialSet, [Deployment]) {
        if let store {
            let snapshot = store.snapshot
            return (snapshot.credentials, snapshot.deployments.all)
        }
        return (CredentialSet(try await credentials.all()), try await models.all())
    }
}
