import Catalog
import CatalogStore
import Hummingbird

/// LiteLLM's write endpoints: /model/new, /model/update, PATCH /model/{id}/update, /model/delete,
/// /model/block and /model/unblock.
/// Every reply goes through the view layer (`DeploymentView`), so no secret comes back.
struct ModelWriteController: Sendable {
    let models: ModelRepository
    let reader: any CatalogReading
    /// The size and per-tenant limits of API writes; who is held to which is `ModelQuota`'s rule.
    let quota: ModelQuota
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/model/new", use: create)
        group.post("/model/update", use: update)
        group.patch("/model/{id}/update", use: patch)
        group.post("/model/delete", use: delete)
        group.post("/model/block", use: block)
        group.post("/model/unblock", use: unblock)
    }

    @Sendable func create(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let deployment = try ModelWrites.created(from: try await RequestJSON.read(request), by: principal)
        let stored = try await models.insert(deployment, actor: principal.actor, quota: quota.enforcement(for: principal))
        return try await view(stored)
    }

    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try await RequestJSON.read(request)
        return try await change(try ModelInput.updateID(from: body), with: body, by: principal, expected: expected, allowRemovals: false)
    }

    @Sendable func patch(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.pathParameter("id")
        let expected = try EntityTags.precondition(request)
        return try await change(id, with: try await RequestJSON.read(request), by: principal, expected: expected, allowRemovals: true)
    }

    /// POST /model/update and PATCH /model/{id}/update: one rule for both (`ModelWrites.changed`),
    /// merged into the row as it is inside the row's transaction (locked), so two partial updates
    /// of different fields both survive.
    private func change(_ id: String, with body: JSONValue, by principal: Principal, expected: VersionPrecondition?,
                        allowRemovals: Bool) async throws -> Response {
        let stored = try await models.batch(actor: principal.actor, quota: quota.enforcement(for: principal)) { batch in
            try batch.update(id: id) { current in
                try ModelWrites.changed(current, with: body, by: principal, expected: expected, allowRemovals: allowRemovals, in: batch)
            }
        }
        return try await view(stored)
    }

    @Sendable func block(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await setBlocked(true, request, context: context)
    }

    @Sendable func unblock(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await setBlocked(false, request, context: context)
    }

    /// POST /model/block and /model/unblock (`{"model_id"}`): sets `model_info.blocked`, a change
    /// of the model under the same rule as /model/update. Answers the row as LiteLLM's
    /// `LiteLLM_ProxyModelTable` does: `model_id`, `blocked` and the deployment's view.
    private func setBlocked(_ blocked: Bool, _ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let id = try body.string("model_id"), !id.isEmpty else {
            throw CatalogError.invalid(field: "model_id", message: "model_id is required")
        }
        let stored = try await models.update(id: id, actor: principal.actor, quota: quota.enforcement(for: principal)) { current in
            try AccessPolicy.authorizeChange(of: current, by: principal)
            try expected?.check(version: current.version, of: "model '\(id)'")
            var updated = current
            updated.modelInfo["blocked"] = .bool(blocked)
            updated.assign(to: try AccessPolicy.tenant(forModel: id, named: updated.modelName, by: principal,
                                                       requested: current.tenantID, accessGroups: updated.accessGroups))
            return updated
        }
        await afterWrite(.models([stored.id]))
        let costMap = try await reader.costMap(for: [stored])
        var members = DeploymentView.json(stored, costMap: costMap).objectValue ?? [:]
        members["model_id"] = .string(stored.id)
        members["blocked"] = .bool(stored.isBlocked)
        return EntityTags.tagged(JSONBody.response(.object(members)), version: stored.version)
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try await RequestJSON.read(request)
        guard case .object(let members) = body else {
            throw CatalogError.invalid(field: nil, message: "the request body must be a JSON object with \"id\"")
        }
        guard let idValue = members["id"], !idValue.isNull else {
            throw CatalogError.invalid(field: "id", message: "id is required")
        }
        guard let id = idValue.stringValue, !id.isEmpty else {
            throw CatalogError.invalid(field: "id", message: "id must be a non-empty string, not \(idValue.typeName)")
        }
        _ = try await models.delete(id: id, actor: principal.actor) { current in
            try ModelWrites.authorizeDelete(of: current, by: principal, expected: expected)
        }
        await afterWrite(.models([id]))
        return JSONBody.response(["message": .string("Model: \(id) deleted successfully")])
    }

    private func view(_ deployment: Deployment) async throws -> Response {
        await afterWrite(.models([deployment.id]))
        let costMap = try await reader.costMap(for: [deployment])
        return EntityTags.tagged(JSONBody.response(DeploymentView.json(deployment, costMap: costMap)), version: deployment.version)
    }
}
