import Catalog
import CatalogStore
import Hummingbird

/// LiteLLM's write endpoints: /model/new, /model/update, PATCH /model/{id}/update, /model/delete.
/// Every reply goes through the view layer (`DeploymentView`), so no secret comes back.
struct ModelWriteController: Sendable {
    let models: ModelRepository
    let reader: any CatalogReading

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/model/new", use: create)
        group.post("/model/update", use: update)
        group.patch("/model/{id}/update", use: patch)
        group.post("/model/delete", use: delete)
    }

    @Sendable func create(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let deployment = try ModelInput.newDeployment(from: try await RequestJSON.read(request))
        let stored = try await models.insert(deployment, actor: principal.actor)
        return try await view(stored)
    }

    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let body = try await RequestJSON.read(request)
        let id = try ModelInput.updateID(from: body)
        let stored = try await models.update(id: id, actor: principal.actor) { current in
            try ModelInput.update(current, with: body, allowRemovals: false)
        }
        return try await view(stored)
    }

    @Sendable func patch(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.parameters.require("id")
        let body = try await RequestJSON.read(request)
        let stored = try await models.update(id: id, actor: principal.actor) { current in
            try ModelInput.update(current, with: body, allowRemovals: true)
        }
        return try await view(stored)
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
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
        _ = try await models.delete(id: id, actor: principal.actor)
        return JSONBody.response(["message": .string("Model: \(id) deleted successfully")])
    }

    private func view(_ deployment: Deployment) async throws -> Response {
        let costMap = try await reader.costMap(for: [deployment])
        return JSONBody.response(DeploymentView.json(deployment, costMap: costMap))
    }
}
