import Catalog
import Hummingbird

/// The OpenAI-compatible model list: /models, /v1/models, /v1/models/{id}, as `ModelListing`
/// builds it (model groups, wildcard routes and their models, access groups, aliases).
struct OpenAIModelsController: Sendable {
    let reads: ModelReadController

    /// LiteLLM's query flags of /v1/models that change what is listed.
    static let flags = ["include_model_access_groups", "only_model_access_groups", "return_wildcard_routes"]

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/models", use: list)
        group.get("/v1/models", use: list)
        // Model names may contain "/" (e.g. "openai/gpt-4o"): take the rest of the path.
        group.get("/v1/models/**", use: retrieve)
        group.get("/models/**", use: retrieve)
    }

    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await reads.respond(request, context: context, reads: Self.flags) { read in
            let query = request.uri.queryParameters
            let options = ModelListing.Options(
                includeAccessGroups: try Self.flag(query["include_model_access_groups"].map(String.init), "include_model_access_groups"),
                onlyAccessGroups: try Self.flag(query["only_model_access_groups"].map(String.init), "only_model_access_groups"),
                wildcardRoutes: try Self.flag(query["return_wildcard_routes"].map(String.init), "return_wildcard_routes"))
            let entries = ModelListing.entries(read.state.deployments, principal: read.principal, tenantFilter: read.tenantFilter,
                                               aliases: read.state.aliases, costMap: read.state.costMap, options: options)
            return ["object": "list", "data": .array(entries.map(\.object))]
        }
    }

    @Sendable func retrieve(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let id = context.pathRest
        return try await reads.respond(request, context: context, reads: []) { read in try model(id, read) }
    }

    /// The object `/v1/models` lists under `id` (a model group, a wildcard route's model, an
    /// alias), or OpenAI's 404.
    func model(_ id: String, _ read: ModelReadController.Read) throws -> JSONValue {
        guard let model = ModelListing.entry(id, in: read.state.deployments, principal: read.principal, tenantFilter: read.tenantFilter,
                                             aliases: read.state.aliases, costMap: read.state.costMap) else {
            // OpenAI's shape for an unknown model.
            throw APIError(status: .notFound, message: "The model '\(id)' does not exist", type: "invalid_request_error",
                           param: "model", code: "model_not_found")
        }
        return model
    }

    /// A boolean query flag as FastAPI reads one (absent: false).
    static func flag(_ text: String?, _ field: String) throws -> Bool {
        guard let text else { return false }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw CatalogError.invalid(field: field, message: "\(field) must be true or false")
        }
    }
}
