import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// LiteLLM's team endpoints; a team is a tenant of the catalog.
struct TeamController: Sendable {
    let tenants: TenantRepository
    let keys: KeyRepository
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/team/new", use: create)
        group.get("/team/list", use: list)
        group.get("/team/info", use: info)
        group.post("/team/delete", use: delete)
        group.post("/team/update", use: update)
        group.post("/team/model/add", use: addModels)
        group.post("/team/model/delete", use: deleteModels)
        group.get("/v2/team/list", use: listPage)
        group.get("/team/available", use: available)
    }

    @Sendable func create(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        let id = try body.string("team_id") ?? UUID().uuidString.lowercased()
        try AccessPolicy.authorize(principal, .create, .team(id: id))
        let models = try body.strings("models") ?? []
        try AccessPolicy.checkAllowListEntries(models)
        try TeamIDRule.checkNew(id, existing: try await tenants.all().map(\.id))
        let tenant = try await tenants.create(
            Tenant(id: id, alias: try body.string("team_alias"), metadata: try body.object("metadata") ?? [:], models: models),
            actor: principal.actor)
        await afterWrite(.keys)
        return EntityTags.tagged(JSONBody.response(Self.json(tenant)), version: tenant.version)
    }

    /// The teams the caller may read: every team for admins, its own for a tenant key.
    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let visible = try await tenants.all().filter { AccessPolicy.decide(principal, .read, .team(id: $0.id)).isAllowed }
        return JSONBody.response(.array(visible.map(Self.json)))
    }

    @Sendable func info(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let id = request.uri.queryParameters["team_id"].map(String.init), !id.isEmpty else {
            throw CatalogError.invalid(field: "team_id", message: "the query parameter team_id is required")
        }
        try AccessPolicy.authorize(principal, .read, .team(id: id), hiddenMessage: "team '\(id)' not found")
        guard let tenant = try await tenants.find(id: id) else { throw CatalogError.notFound(message: "team '\(id)' not found") }
        // Who may read the team may not always read its keys (members may not).
        let teamKeys = AccessPolicy.decide(principal, .read, .teamKeys(team: id)).isAllowed ? try await keys.forTenant(id) : []
        return EntityTags.tagged(JSONBody.response([
            "team_id": .string(tenant.id), "team_info": Self.json(tenant),
            "keys": .array(teamKeys.map(KeyController.json)),
        ]), version: tenant.version)
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let ids = try body.strings("team_ids"), !ids.isEmpty else {
            throw CatalogError.invalid(field: "team_ids", message: "team_ids must be a non-empty list of team ids")
        }
        for id in ids { try AccessPolicy.authorize(principal, .delete, .team(id: id), hiddenMessage: "team '\(id)' not found") }
        let deleted = try await tenants.delete(ids: ids, force: try body.bool("force") ?? false, expected: expected, actor: principal.actor)
        await afterWrite(.teamsDeleted(deleted))
        return JSONBody.response(["deleted_teams": .array(deleted.map(JSONValue.string))])
    }

    static func json(_ tenant: Tenant) -> JSONValue {
        [
            "team_id": .string(tenant.id), "team_alias": tenant.alias.map(JSONValue.string) ?? .null,
            "metadata": .object(Redaction.redact(tenant.metadata, document: .metadata)),
            "models": .array(tenant.models.map(JSONValue.string)),
            "created_at": tenant.createdAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            "updated_at": tenant.updatedAt.map { .string($0.formatted(.iso8601)) } ?? .null,
        ]
    }
}

/// Typed access to the members of a JSON request body, with errors that name the field.
struct RequestFields {
    let members: [String: JSONValue]

    init(_ body: JSONValue) throws {
        guard case .object(let members) = body else {
            throw CatalogError.invalid(field: nil, message: "the request body must be a JSON object")
        }
        self.members = members
    }

    func string(_ field: String) throws -> String? {
        guard let value = members[field], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw CatalogError.invalid(field: field, message: "\(field) must be a string, not \(value.typeName)") }
        return text
    }

    /// Whether the body holds `field` at all (null included): merge patches tell "left out" from "null".
    func given(_ field: String) -> Bool { members[field] != nil }

    /// An object of strings, such as a key's `aliases`.
    func stringMap(_ field: String) throws -> [String: String]? {
        guard let object = try object(field) else { return nil }
        var map: [String: String] = [:]
        for (key, value) in object {
            guard let text = value.stringValue else {
                throw CatalogError.invalid(field: field, message: "\(field) must be an object of strings; '\(key)' is \(value.typeName)")
            }
            map[key] = text
        }
        return map
    }

    /// A whole number (a JSON number without a fraction).
    func int(_ field: String) throws -> Int? {
        guard let value = members[field], !value.isNull else { return nil }
        guard let number = value.intValue else { throw CatalogError.invalid(field: field, message: "\(field) must be a whole number, not \(value.typeName)") }
        return number
    }

    func bool(_ field: String) throws -> Bool? {
        guard let value = members[field], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw CatalogError.invalid(field: field, message: "\(field) must be true or false") }
        return flag
    }

    func object(_ field: String) throws -> [String: JSONValue]? {
        guard let value = members[field], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw CatalogError.invalid(field: field, message: "\(field) must be an object") }
        return object
    }

    func strings(_ field: String) throws -> [String]? {
        guard let value = members[field], !value.isNull else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            throw CatalogError.invalid(field: field, message: "\(field) must be a list of strings")
        }
        return items.compactMap(\.stringValue)
    }
}
