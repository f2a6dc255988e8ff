import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// LiteLLM's key endpoints. A key's text is returned once, by /key/generate and
/// /key/regenerate; the catalog keeps a digest, and lists tokens (ids) only.
struct KeyController: Sendable {
    let keys: KeyRepository
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/key/generate", use: generate)
        group.get("/key/info", use: info)
        group.get("/key/list", use: list)
        group.post("/key/update", use: update)
        group.post("/key/regenerate", use: regenerate)
        group.post("/key/{key}/regenerate", use: regenerate)
        group.post("/key/delete", use: delete)
    }

    @Sendable func generate(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        let request = try KeyRequest(
            teamID: try body.string("team_id"), role: try body.string("role"), models: try body.strings("models"),
            alias: try body.string("key_alias"), duration: try body.string("duration"), aliases: try body.stringMap("aliases"))
        // The policy bounds the key by its maker: allow-list and expiry.
        let granted = try AccessPolicy.newKey(by: principal, team: request.teamID, role: request.role,
                                              models: request.models, expiresAt: request.expiresAt)
        let text = KeyRepository.newKeyText()
        let record = try await keys.create(
            keyText: text, alias: request.alias, role: granted.role, tenantID: granted.tenant, models: granted.models,
            expiresAt: granted.expiresAt, aliases: request.aliases, actor: principal.actor)
        await afterWrite(.keys)
        var reply = Self.json(record).objectValue ?? [:]
        reply["key"] = .string(text)
        return EntityTags.tagged(JSONBody.response(.object(reply)), version: record.version)
    }

    /// LiteLLM's `{"key": …, "info": {…}}`; without `key`, the caller's own key.
    @Sendable func info(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let asked = request.uri.queryParameters["key"].map(String.init)
        guard let key = asked ?? AuthMiddleware.presentedKey(request), !key.isEmpty else {
            throw CatalogError.invalid(field: "key", message: "the query parameter key is required")
        }
        // The master key has no record: asked about itself, it says what it is (never its text).
        // Asked about itself, a key also learns what it may do (`AccessPolicy.offers`), so that the
        // admin page offers nothing the API would refuse.
        let offers: JSONValue? = asked == nil ? .object(AccessPolicy.offers(principal).mapValues { .bool($0) }) : nil
        if let offers, principal.actor == Principal.master.actor {
            return JSONBody.response(["key": .null, "info": ["key_alias": "master key", "role": "admin", "team_id": .null,
                                                             "permissions": offers]])
        }
        let record = try await visibleRecord(key, to: principal)
        var info = Self.json(record)
        if let offers, case .object(var members) = info {
            members["permissions"] = offers
            info = .object(members)
        }
        return EntityTags.tagged(JSONBody.response(["key": .string(record.token), "info": info]), version: record.version)
    }

    /// The keys the caller may read, oldest first, a page at a time: tokens, or with
    /// `return_full_object=true` the key objects (never a key's text).
    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        let page = try ModelReadController.positiveInt(query["page"].map(String.init), field: "page", default: 1, max: Int(Int32.max))
        let size = try ModelReadController.positiveInt(query["size"].map(String.init), field: "size", default: 10, max: 100)
        let full = try Self.flag(query["return_full_object"].map(String.init), field: "return_full_object")
        _ = try Self.flag(query["include_team_keys"].map(String.init), field: "include_team_keys")
        let team = query["team_id"].map(String.init)
        let alias = query["key_alias"].map(String.init)
        let token = query["key_hash"].map(String.init)
        let visible = try await keys.all().filter { record in
            AccessPolicy.canRead(record, by: principal, isCaller: record.isKey(of: principal))
                && (team.map { ExactID.same($0, record.tenantID) } ?? true)
                && (alias.map { ExactID.same($0, record.alias) } ?? true)
                && (token.map { ExactID.same($0, record.token) } ?? true)
        }
        let shown = visible.dropFirst(min(visible.count, (page - 1) * size)).prefix(size)
        return JSONBody.response([
            "keys": .array(shown.map { full ? Self.json($0) : .string($0.token) }),
            "total_count": .int(visible.count), "current_page": .int(page),
            "total_pages": .int((visible.count + size - 1) / size),
        ])
    }

    @Sendable func delete(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        let requested = try body.strings("keys") ?? []
        let aliases = try body.strings("key_aliases") ?? []
        guard !requested.isEmpty || !aliases.isEmpty else {
            throw CatalogError.invalid(field: "keys", message: "keys (or key_aliases) must be a non-empty list of keys, their tokens or aliases")
        }
        var records: [APIKeyRecord] = []
        for key in requested {
            guard let record = try await keys.find(keyTextOrID: key) else { throw CatalogError.notFound(message: "key not found") }
            records.append(record)
        }
        // LiteLLM takes key_aliases only without keys.
        if requested.isEmpty {
            for alias in aliases { records.append(try await record(alias: alias, to: principal)) }
        }
        for record in records {
            try AccessPolicy.authorize(principal, .delete, .key(tenant: record.tenantID, role: record.role, isCaller: false),
                                       hiddenMessage: "key not found")
        }
        try await keys.delete(records: records, expected: expected, actor: principal.actor)
        await afterWrite(.keys)
        // By alias: the aliases, as LiteLLM echoes them. By key: the tokens, never the key text a
        // caller may have sent (no response carries a key's text but /key/generate's).
        return JSONBody.response(["deleted_keys": .array((requested.isEmpty ? aliases : records.map(\.token)).map(JSONValue.string))])
    }

    /// A key the caller may read (the policy's rule), by its text or token.
    func visibleRecord(_ key: String, to principal: Principal) async throws -> APIKeyRecord {
        guard let record = try await keys.find(keyTextOrID: key),
              AccessPolicy.canRead(record, by: principal, isCaller: record.isKey(of: principal))
        else {
            throw CatalogError.notFound(message: "key not found")
        }
        return record
    }

    /// The one key named `alias` that the caller may read; keys it may not read do not count.
    func record(alias: String, to principal: Principal) async throws -> APIKeyRecord {
        let named = try await keys.find(alias: alias).filter { AccessPolicy.canRead($0, by: principal, isCaller: $0.isKey(of: principal)) }
        guard let record = named.first else { throw CatalogError.notFound(message: "no key with key_alias '\(alias)' found") }
        guard named.count == 1 else {
            throw CatalogError.conflict(field: "key_alias", message: "key_alias '\(alias)' names \(named.count) keys: give the key (or its token) instead")
        }
        return record
    }

    /// A `true`/`false` query parameter (nil: not given, false).
    static func flag(_ text: String?, field: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw CatalogError.invalid(field: field, message: "\(field) must be true or false")
        }
    }

    /// A key as the API shows it: its token (id), never its text.
    static func json(_ record: APIKeyRecord) -> JSONValue {
        let formatter = ISO8601DateFormatter()
        return [
            "token": .string(record.token),
            "key_alias": record.alias.map(JSONValue.string) ?? .null,
            "team_id": record.tenantID.map(JSONValue.string) ?? .null,
            "role": .string(record.role.rawValue),
            "models": .array((record.models ?? []).map(JSONValue.string)),
            "aliases": .object(record.aliases.mapValues(JSONValue.string)),
            "expires": record.expiresAt.map { .string(formatter.string(from: $0)) } ?? .null,
            "created_at": record.createdAt.map { .string(formatter.string(from: $0)) } ?? .null,
            "updated_at": record.updatedAt.map { .string(formatter.string(from: $0)) } ?? .null,
        ]
    }
}
