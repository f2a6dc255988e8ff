import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// /team/update, /team/model/add, /team/model/delete and /v2/team/list, in LiteLLM's shapes.
/// A team's `models` narrows every key of the team (`Principal.allowList`); the change reaches
/// every replica's enforcement through the keys of the snapshot, which a team's change reloads.
extension TeamController {
    /// LiteLLM's /team/update: `team_id`, and `team_alias`, `metadata`, `models` to change (a
    /// field left out keeps its value). Answers `{"team_id": …, "data": team}`.
    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        let id = try Self.teamID(body)
        try AccessPolicy.authorize(principal, .change, .team(id: id), hiddenMessage: "team '\(id)' not found")
        let alias: String?? = body.given("team_alias") ? .some(try body.string("team_alias")) : nil
        let metadata = try body.object("metadata")
        let models = try body.strings("models")
        if let models { try AccessPolicy.checkAllowListEntries(models) }
        let setMetadata = body.given("metadata"), setModels = body.given("models")
        let updated = try await tenants.update(id: id, actor: principal.actor) { current in
            try expected?.check(version: current.version, of: "team '\(id)'")
            var next = current
            if let alias { next.alias = alias }
            if setMetadata { next.metadata = metadata ?? [:] }
            if setModels { next.models = models ?? [] }
            return next
        }
        await afterWrite(.keys)
        return EntityTags.tagged(JSONBody.response(["team_id": .string(updated.id), "data": Self.json(updated)]), version: updated.version)
    }

    /// LiteLLM's /team/model/add: the names join the team's list. As in LiteLLM, adding to a team
    /// without a list (every model) keeps every model: "all-proxy-models" is added first.
    @Sendable func addModels(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await changeModels(request, context: context) { current, names in
            let base = current.isEmpty ? ["all-proxy-models"] : current
            return base + names.filter { name in !base.contains { ExactID.same($0, name) } }
        }
    }

    /// LiteLLM's /team/model/delete. Unlike LiteLLM, removing the last name is refused: an empty
    /// list means every model, so it would widen the team rather than narrow it.
    @Sendable func deleteModels(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try await changeModels(request, context: context) { current, names in
            let kept = current.filter { entry in !names.contains { ExactID.same($0, entry) } }
            if kept.isEmpty, !current.isEmpty {
                throw CatalogError.invalid(
                    field: "models",
                    message: "removing every model from a team's list would allow it every model; to lift the restriction, send /team/update with \"models\": []")
            }
            return kept
        }
    }

    private func changeModels(_ request: Request, context: CatalogRequestContext,
                              _ change: @escaping @Sendable ([String], [String]) throws -> [String]) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        let id = try Self.teamID(body)
        guard let names = try body.strings("models"), !names.isEmpty else {
            throw CatalogError.invalid(field: "models", message: "models must be a non-empty list of model names")
        }
        try AccessPolicy.checkAllowListEntries(names)
        try AccessPolicy.authorize(principal, .change, .team(id: id), hiddenMessage: "team '\(id)' not found")
        let updated = try await tenants.update(id: id, actor: principal.actor) { current in
            try expected?.check(version: current.version, of: "team '\(id)'")
            var next = current
            next.models = try change(current.models, names)
            return next
        }
        await afterWrite(.keys)
        return EntityTags.tagged(JSONBody.response(Self.json(updated)), version: updated.version)
    }

    /// LiteLLM's /v2/team/list: the teams the caller may read, a page at a time.
    @Sendable func listPage(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        let page = try ModelReadController.positiveInt(query["page"].map(String.init), field: "page", default: 1, max: Int(Int32.max))
        let size = try ModelReadController.positiveInt(query["page_size"].map(String.init), field: "page_size", default: 10, max: 100)
        let order = query["sort_order"].map { $0.lowercased() } ?? "asc"
        guard order == "asc" || order == "desc" else {
            throw CatalogError.invalid(field: "sort_order", message: "sort_order must be asc or desc")
        }
        let team = query["team_id"].map(String.init)
        let alias = query["team_alias"].map { $0.lowercased() }
        var visible = try await tenants.all().filter { tenant in
            AccessPolicy.decide(principal, .read, .team(id: tenant.id)).isAllowed
                && (team.map { ExactID.same($0, tenant.id) } ?? true)
                && (alias.map { tenant.alias?.lowercased().contains($0) ?? false } ?? true)
        }
        switch query["sort_by"].map(String.init) {
        case "team_id": visible.sort { ExactID($0.id) < ExactID($1.id) }
        case "team_alias": visible.sort { ($0.alias ?? "", ExactID($0.id)) < ($1.alias ?? "", ExactID($1.id)) }
        default: break // created_at, then id: the repository's order
        }
        if order == "desc" { visible.reverse() }
        let shown = visible.dropFirst(min(visible.count, (page - 1) * size)).prefix(size)
        return JSONBody.response([
            "teams": .array(shown.map(Self.json)), "total": .int(visible.count), "page": .int(page),
            "page_size": .int(size), "total_pages": .int((visible.count + size - 1) / size),
        ])
    }

    /// LiteLLM's /team/available: the teams a caller may join by itself. ModelCatalog has no
    /// self-service joining (a key's team is set by who makes it), so there are none.
    @Sendable func available(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        _ = try context.requirePrincipal()
        return JSONBody.response(.array([]))
    }

    static func teamID(_ body: RequestFields) throws -> String {
        guard let id = try body.string("team_id"), !id.isEmpty else {
            throw CatalogError.invalid(field: "team_id", message: "team_id is required")
        }
        return id
    }
}
