import Catalog
import Hummingbird

/// LiteLLM's read endpoints: /model/info, /v1/model/info, /v2/model/info, /model_group/info.
struct ModelReadController: Sendable {
    let reader: any CatalogReading
    let responses = ResponseCache()

    /// The response to a read: from the response cache when the reader is a snapshot, built by
    /// `make` otherwise (or on a miss). Errors thrown by `make` are never cached.
    func respond(_ request: Request, context: CatalogRequestContext, make: () async throws -> JSONValue) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let version = reader.cacheVersion else { return JSONBody.response(try await make()) }
        return try await responses.response(key: ResponseCache.key(request, principal: principal), version: version,
                                            request: request, make: make)
    }

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/model/info", use: modelInfo)
        group.get("/v1/model/info", use: modelInfo)
        group.get("/v2/model/info", use: modelInfoPage)
        group.get("/model_group/info", use: modelGroupInfo)
    }

    /// The deployments the caller may see (the one visibility rule), with `?team_id=` for admins.
    func visibleDeployments(_ request: Request, context: CatalogRequestContext) async throws -> [Deployment] {
        let principal = try context.requirePrincipal()
        let tenantFilter = request.uri.queryParameters["team_id"].map(String.init)
        return Visibility.visible(try await reader.deployments(), principal: principal, tenantFilter: tenantFilter)
    }

    @Sendable func modelInfo(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respond(request, context: context) {
            var deployments = try await visibleDeployments(request, context: context)
            if let id = request.uri.queryParameters["litellm_model_id"].map(String.init) {
                deployments = deployments.filter { $0.id == id }
                if deployments.isEmpty { throw CatalogError.notFound(message: "model '\(id)' not found") }
            }
            let costMap = try await reader.costMap(for: deployments)
            return ["data": .array(deployments.map { DeploymentView.json($0, costMap: costMap) })]
        }
    }

    @Sendable func modelInfoPage(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respond(request, context: context) { try await page(request, context: context) }
    }

    func page(_ request: Request, context: CatalogRequestContext) async throws -> JSONValue {
        let query = request.uri.queryParameters
        let page = try Self.positiveInt(query["page"].map(String.init), field: "page", default: 1, max: Int(Int32.max))
        let size = try Self.positiveInt(query["size"].map(String.init), field: "size", default: 50, max: 1000)
        var deployments = try await visibleDeployments(request, context: context)
        if let search = query["search"].map(String.init), !search.isEmpty {
            deployments = deployments.filter {
                $0.modelName.localizedCaseInsensitiveContains(search) || $0.litellmModel.localizedCaseInsensitiveContains(search)
            }
        }
        let total = deployments.count
        let start = min((page - 1) * size, total)
        let pageItems = Array(deployments[start..<min(start + size, total)])
        let costMap = try await reader.costMap(for: pageItems)
        return [
            "data": .array(pageItems.map { DeploymentView.json($0, costMap: costMap) }),
            "total_count": .int(total),
            "current_page": .int(page),
            "total_pages": .int((total + size - 1) / size),
            "size": .int(size),
        ]
    }

    @Sendable func modelGroupInfo(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respond(request, context: context) {
            var deployments = try await visibleDeployments(request, context: context)
            if let group = request.uri.queryParameters["model_group"].map(String.init) {
                deployments = deployments.filter { $0.modelName == group }
                if deployments.isEmpty { throw CatalogError.notFound(message: "model group '\(group)' not found") }
            }
            let costMap = try await reader.costMap(for: deployments)
            return ["data": .array(ModelGroupView.groups(deployments, costMap: costMap))]
        }
    }

    static func positiveInt(_ text: String?, field: String, default value: Int, max: Int) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), number >= 1, number <= max else {
            throw CatalogError.invalid(field: field, message: "\(field) must be an integer from 1 to \(max)")
        }
        return number
    }
}
