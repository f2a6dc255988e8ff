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
        try await reads.respond(request, context: context) {
            let deployments = try await reads.visibleDeployments(request, context: context)
            let costMap = try await reads.reader.costMap(for: deployments)
            return ["object": "list", "data": .array(OpenAIModelView.models(deployments, costMap: costMap))]
        }
    }

    @Sendable func retrieve(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await reads.respond(request, context: context) { try await model(request, context: context) }
    }

    func model(_ request: Request, context: CatalogRequestContext) async throws -> JSONValue {
        let id = context.pathRest
        let deployments = try await reads.visibleDeployments(request, context: context).filter { $0.modelName == id }
        guard !deployments.isEmpty else {
            // OpenAI's shape for an unknown model.
            throw APIError(status: .notFound, message: "The model '\(id)' does not exist", type: "invalid_request_error",
                           param: "model", code: "model_not_found")
        }
        let costMap = try await reads.reader.costMap(for: deployments)
        guard let model = OpenAIModelView.model(named: id, in: deployments, costMap: costMap) else {
            throw CatalogError.notFound(message: "The model '\(id)' does not exist")
        }
        return model
    }
}
