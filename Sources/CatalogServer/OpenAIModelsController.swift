import Catalog
import Hummingbird

/// The OpenAI-compatible model list: /models, /v1/models, /v1/models/{id}.
struct OpenAIModelsController: Sendable {
    let reads: ModelReadController

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/models", use: list)
        group.get("/v1/models", use: list)
        // Model names may contain "/" (e.g. "openai/gpt-4o"): take the rest of the path.
        group.get("/v1/models/**", use: retrieve)
        group.get("/models/**", use: retrieve)
    }

    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await reads.respond(request, context: context, reads: []) { read in
            ["object": "list", "data": .array(OpenAIModelView.models(read.visible, costMap: read.state.costMap))]
        }
    }

    @Sendable func retrieve(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let id = context.pathRest
        return try await reads.respond(request, context: context, reads: []) { read in try model(id, read) }
    }

    func model(_ id: String, _ read: ModelReadController.Read) throws -> JSONValue {
        let deployments = read.visible.filter { ExactID($0.modelName) == ExactID(id) }
        guard !deployments.isEmpty else {
            // OpenAI's shape for an unknown model.
            throw APIError(status: .notFound, message: "The model '\(id)' does not exist", type: "invalid_request_error",
                           param: "model", code: "model_not_found")
        }
        guard let model = OpenAIModelView.model(named: id, in: deployments, costMap: read.state.costMap) else {
            throw CatalogError.notFound(message: "The model '\(id)' does not exist")
        }
        return model
    }
}
