import Catalog
import Hummingbird

/// LiteLLM's read endpoints: /model/info, /v1/model/info, /v2/model/info, /model_group/info.
struct ModelReadController: Sendable {
    let reader: any CatalogReading
    let responses = ResponseCache()

    /// The response to a read, from one state of the catalog: from the response cache when the
    /// state has a version, built by `make` otherwise (or on a miss). Errors thrown by `make` are
    /// never cached.
    /// `reads`: the query parameters `make` reads, the only ones the cache key holds.
    func respond(_ request: Request, context: CatalogRequestContext, reads: [String],
                 make: (Read) async throws -> JSONValue) async throws -> Response {
        try await respondTagged(request, context: context, reads: reads) { ResponseCache.Built(json: try await make($0)) }
    }

    /// As `respond`, for a read that may show one stored object: its tag is the response's ETag.
    func respondTagged(_ request: Request, context: CatalogRequestContext, reads: [String],
                       build: (Read) async throws -> ResponseCache.Built) async throws -> Response {
        let principal = try context.requirePrincipal()
        let read = Read(state: try await reader.current(), principal: principal, request: request)
        guard let version = read.state.version else {
            let built = try await build(read)
            let response = JSONBody.response(built.json)
            return built.objectTag.map { EntityTags.tagged(response, tag: $0) } ?? response
        }
        let key = ResponseCache.Key(scope: AccessPolicy.readScope(of: principal), aliases: principal.aliases, request: request,
                                    reads: ["team_id"] + reads)
        return try await responses.response(key: key, version: version, request: request, invalidations: read.state.invalidations) {
            try await build(read)
        }
    }

    /// One read: the state it works from and who asks.
    struct Read: Sendable {
        let state: CatalogReadState
        let principal: Principal
        let request: Request

        /// The deployments the caller may see (the policy's rule), with `?team_id=` for admins
        /// (every route reads it: `respond` keys the cache on it).
        var visible: [Deployment] {
            AccessPolicy.visible(state.deployments, to: principal, tenantFilter: tenantFilter)
        }

        /// The deployment `id` if the caller may see it: the policy's rule, which decides each row
        /// on its own, applied to that one row (a poll for one model copied the whole list).
        func visible(id: String) -> Deployment? {
            state.deployments.deployment(id: id).flatMap { AccessPolicy.visible([$0], to: principal, tenantFilter: tenantFilter).first }
        }

        /// `?team_id=`, which narrows an admin's view (the policy ignores it for other keys).
        var tenantFilter: String? { request.uri.queryParameters["team_id"].map(String.init) }
    }

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/model/info", use: modelInfo)
        group.get("/v1/model/info", use: modelInfo)
        group.get("/v2/model/info", use: modelInfoPage)
        group.get("/model_group/info", use: modelGroupInfo)
    }

    /// With `?litellm_model_id=`, a read of one model: its ETag is the model's version, for the
    /// If-Match of a write that follows.
    @Sendable func modelInfo(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respondTagged(request, context: context, reads: ["litellm_model_id"]) { read in
            if let id = request.uri.queryParameters["litellm_model_id"].map(String.init) {
                guard let one = read.visible(id: id) else { throw CatalogError.notFound(message: "model '\(id)' not found") }
                return ResponseCache.Built(json: ["data": .array(read.state.views([one]))],
                                           objectTag: VersionPrecondition.tag(version: one.version))
            }
            return ResponseCache.Built(json: ["data": .array(read.state.views(read.visible))], objectTag: nil)
        }
    }

    @Sendable func modelInfoPage(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respond(request, context: context, reads: ["page", "size"] + DeploymentQuery.parameterNames) { read in try page(read) }
    }

    func page(_ read: Read) throws -> JSONValue {
        let request = read.request
        let query = request.uri.queryParameters
        let page = try Self.positiveInt(query["page"].map(String.init), field: "page", default: 1, max: Int(Int32.max))
        let size = try Self.positiveInt(query["size"].map(String.init), field: "size", default: 50, max: 1000)
        let narrowing = try DeploymentQuery { query[Substring($0)].map(String.init) }
        // Every deployment in catalog order: the page is cut from the index, the catalog is not copied.
        let everything = narrowing.narrowsNothing && AccessPolicy.seesEverything(read.principal, tenantFilter: read.tenantFilter)
        let narrowed = everything ? nil : narrowing.apply(read.visible, costMap: read.state.costMap)
        let total = narrowed?.count ?? read.state.deployments.count
        let start = min((page - 1) * size, total)
        let positions = start..<min(start + size, total)
        let pageItems = narrowed.map { Array($0[positions]) } ?? read.state.deployments.deployments(at: positions)
        return [
            "data": .array(read.state.views(pageItems)),
            "total_count": .int(total),
            "current_page": .int(page),
            "total_pages": .int((total + size - 1) / size),
            "size": .int(size),
        ]
    }

    /// Blocked deployments are left out (LiteLLM: they serve nothing); a group whose deployments
    /// are all blocked is not listed.
    @Sendable func modelGroupInfo(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await respond(request, context: context, reads: ["model_group"]) { read in
            var deployments = read.visible.filter { !$0.isBlocked }
            if let group = request.uri.queryParameters["model_group"].map(String.init) {
                deployments = deployments.filter { ExactID($0.modelName) == ExactID(group) }
                if deployments.isEmpty { throw CatalogError.notFound(message: "model group '\(group)' not found") }
            }
            return ["data": .array(ModelGroupView.groups(deployments, costMap: read.state.costMap))]
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
