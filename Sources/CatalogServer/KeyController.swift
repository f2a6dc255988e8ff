import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// LiteLLM's key endpoints. A key's text is returned once, by /key/generate; the catalog keeps a digest.
struct KeyController: Sendable {
    let keys: KeyRepository
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/key/generate", use: generate)
        group.get("/key/info", use: info)
        group.post("/key/delete", use: delete)
    }

    @Sendable func generate(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        let request = try KeyRequest(
            teamID: try body.string("team_id"), role: try body.string("role"), models: try body.strings("models"),
            alias: try body.string("key_alias"), duration: try body.string("duration"))
        // The policy bounds the key by its maker: allow-list and expiry.
        let granted = try AccessPolicy.newKey(by: principal, team: request.teamID, role: request.role,
                                              models: request.models, expiresAt: request.expiresAt)
        let text = KeyRepository.newKeyText()
        let record = try await keys.create(
            keyText: text, alias: request.alias, role: granted.role, tenantID: granted.tenant, models: granted.models,
            expiresAt: granted.expiresAt, actor: principal.actor)
        await afterWrite(.keys)
        var reply = Self.json(record).objectValue ?? [:]
        reply["key"] = .string(text)
        return JSONBody.response(.object(reply))
    }

    @Sendable func info(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let key = request.uri.queryParameters["key"].map(String.init), !key.isEmpty else {
            throw CatalogError.invalid(field: "key", message: "the query parameter key is required")
        }
        let record = try await visibleRecord(key, to: principal, presented: AuthMiddleware.presentedKey(request))
        return JSONBody.response(["key": .string(record.id.uuidString.lowercased()), "info": Self.json(record)])
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let requested = try body.strings("keys"), !requested.isEmpty else {
            throw CatalogError.invalid(field: "keys", message: "keys must be a non-empty list of keys (or their tokens)")
        }
        var records: [APIKeyRecord] = []
        for key in requested {
            guard let record = try await keys.find(keyTextOrID: key) else { throw CatalogError.notFound(message: "key not found") }
            try AccessPolicy.authorize(principal, .delete, .key(tenant: record.tenantID, role: record.role, isCaller: false),
                                       hiddenMessage: "key not found")
            records.append(record)
        }
        try await keys.delete(records: records, actor: principal.actor)
        await afterWrite(.keys)
        return JSONBody.response(["deleted_keys": .array(requested.map(JSONValue.string))])
    }

    /// A key the caller may read (the policy's rule); `presented` is the key the request authenticated with.
    private func visibleRecord(_ key: String, to principal: Principal, presented: String?) async throws -> APIKeyRecord {
        guard let record = try await keys.find(keyTextOrID: key),
              AccessPolicy.canRead(record, by: principal, isCaller: presented.map { ExactID($0) == ExactID(key) } ?? false)
        else {
            throw CatalogError.notFound(message: "key not found")
        }
        return record
    }

    static func json(_ record: APIKeyRecord) -> JSONValue {
        let formatter = ISO8601DateFormatter()
        return [
            "token": .string(record.id.uuidString.lowercased()),
            "key_alias": record.alias.map(JSONValue.string) ?? .null,
            "team_id": record.tenantID.map(JSONValue.string) ?? .null,
            "role": .string(record.role.rawValue),
            "models": .array((record.models ?? []).map(JSONValue.string)),
            "expires": record.expiresAt.map { .string(formatter.string(from: $0)) } ?? .null,
            "created_at": record.createdAt.map { .string(formatter.string(from: $0)) } ?? .null,
        ]
    }
}

/// What /key/generate (and `model-catalog keys create`) asks for, checked against who asks.
public struct KeyRequest: Sendable {
    public var teamID: String?
    public var role: Principal.Role?
    public var models: [String]?
    public var alias: String?
    public var expiresAt: Date?

    public init(teamID: String?, role: String?, models: [String]?, alias: String?, duration: String?, now: Date = Date()) throws {
        self.teamID = teamID
        if let role {
            guard let parsed = Principal.Role(rawValue: role) else {
                throw CatalogError.invalid(field: "role", message: "role must be admin, tenant_admin or tenant_member")
            }
            self.role = parsed
        }
        // LiteLLM's `models: []` is "no restriction": the same as leaving the list out.
        self.models = models?.isEmpty == true ? nil : models
        self.alias = alias
        expiresAt = try duration.map { try Self.parseDuration($0).map { now.addingTimeInterval($0) } } ?? nil
    }

    /// "30d", "12h", "15m", "45s" → seconds; nil for "" (no expiry).
    static func parseDuration(_ text: String) throws -> TimeInterval? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        guard let unit = trimmed.last.flatMap({ units[$0] }), let amount = Double(trimmed.dropLast()), amount > 0, amount <= 36_500 * 86400 / unit else {
            throw CatalogError.invalid(field: "duration", message: "duration must look like 30d, 12h, 15m or 45s")
        }
        return amount * unit
    }
}
