import Catalog
import CatalogStore
import Hummingbird

/// Operators' price overrides (`PriceOverride`): GET and POST /cost_map/overrides, DELETE
/// /cost_map/overrides/{model}. Anyone who may read the cost map may list them; only admins set
/// or delete one. Each answer says, per override, whether upstream's price moved since it was set.
struct PriceOverrideController: Sendable {
    let overrides: PriceOverrideRepository
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/cost_map/overrides", use: list)
        group.post("/cost_map/overrides", use: set)
        // `**`: a cost-map key may hold "/" (azure/gpt-4o), sent as it is or percent-encoded.
        group.delete("/cost_map/overrides/**", use: delete)
    }

    /// `?drift=true`: only the overrides whose upstream price changed since they were set.
    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try AccessPolicy.authorize(try context.requirePrincipal(), .read, .costMap)
        let onlyDrifted = try OpenAIModelsController.flag(request.uri.queryParameters["drift"].map(String.init), "drift")
        return JSONBody.response(["data": .array(try await overrides.listed(onlyDrifted: onlyDrifted))])
    }

    /// `{"model": KEY, "prices": {FIELD: NUMBER, …}, "note"?}`: the override of KEY becomes these
    /// prices (replacing its previous ones), for every tenant, until deleted.
    @Sendable func set(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.authorize(principal, .change, .costMap)
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let key = try body.string("model"), !key.isEmpty else {
            throw CatalogError.invalid(field: "model", message: "model is required: the cost-map key to price (as /utils/model_info names it in key)")
        }
        let prices = try PriceOverride.checkedPrices(body.members["prices"])
        let (saved, upstream) = try await overrides.set(key: key, prices: prices, note: try body.string("note"), expected: expected,
                                                        actor: principal.actor)
        await afterWrite(.costMap)
        return EntityTags.tagged(JSONBody.response(saved.json(upstreamEntry: upstream)), version: saved.version)
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.authorize(principal, .change, .costMap)
        let expected = try EntityTags.precondition(request)
        let key = context.pathRest
        guard !key.isEmpty else { throw CatalogError.invalid(field: "model", message: "the cost-map key is required in the path") }
        try await overrides.delete(key: key, expected: expected, actor: principal.actor)
        await afterWrite(.costMap)
        return JSONBody.response(["deleted": .string(key)])
    }
}
