import Catalog
import CatalogStore
import Foundation

/// What /key/generate (and `model-catalog keys create`) asks for, checked against who asks.
public struct KeyRequest: Sendable {
    public var teamID: String?
    public var role: Principal.Role?
    public var models: [String]?
    public var alias: String?
    public var expiresAt: Date?
    /// LiteLLM's key `aliases`: alias → model group.
    public var aliases: [String: String]

    public init(teamID: String?, role: String?, models: [String]?, alias: String?, duration: String?,
                aliases: [String: String]? = nil, now: Date = Date()) throws {
        self.teamID = teamID
        self.role = try role.map(Self.parseRole)
        // LiteLLM's `models: []` is "no restriction": the same as leaving the list out.
        self.models = models?.isEmpty == true ? nil : models
        self.alias = alias
        self.aliases = try Self.checkAliases(aliases ?? [:])
        expiresAt = try duration.map { try Self.parseDuration($0).map { now.addingTimeInterval($0) } } ?? nil
    }

    static func parseRole(_ text: String) throws -> Principal.Role {
        guard let parsed = Principal.Role(rawValue: text) else {
            throw CatalogError.invalid(field: "role", message: "role must be admin, tenant_admin, tenant_member, personal or gateway")
        }
        return parsed
    }

    /// Aliases name a model group each; neither side may be empty.
    static func checkAliases(_ aliases: [String: String]) throws -> [String: String] {
        if aliases.contains(where: { $0.key.isEmpty || $0.value.isEmpty }) {
            throw CatalogError.invalid(field: "aliases", message: "aliases must map non-empty alias names to non-empty model names")
        }
        return aliases
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

/// What /key/update and /key/regenerate ask to change: a merge patch, as LiteLLM's. A field left
/// out keeps its value (nil here); an explicit null clears it (`.some(nil)`).
struct KeyChangeRequest: Sendable {
    var alias: String??
    var team: String??
    var models: [String]??
    var expiresAt: Date??
    var aliases: [String: String]?

    /// Reads the fields of `body`; `aliasIdentifies`: `key_alias` names the key to change (no
    /// `key` was given), so it changes nothing.
    init(_ body: RequestFields, aliasIdentifies: Bool, now: Date = Date()) throws {
        if !aliasIdentifies, body.given("key_alias") { alias = .some(try body.string("key_alias")) }
        if body.given("team_id") { team = .some(try body.string("team_id")) }
        if body.given("models") {
            let list = try body.strings("models")
            models = .some(list?.isEmpty == true ? nil : list)
        }
        if body.given("duration"), body.given("expires") {
            throw CatalogError.invalid(field: "duration", message: "give duration or expires, not both")
        }
        if body.given("duration") {
            // null, "" and LiteLLM's deprecated "-1": never expires.
            let text = try body.string("duration")
            expiresAt = .some(text == "-1" ? nil : try text.map { try KeyRequest.parseDuration($0).map { now.addingTimeInterval($0) } } ?? nil)
        }
        if body.given("expires") {
            expiresAt = .some(try body.string("expires").map { text in
                guard let date = Self.parseDate(text) else {
                    throw CatalogError.invalid(field: "expires", message: "expires must be an ISO 8601 date and time, such as 2030-01-31T12:00:00Z")
                }
                return date
            })
        }
        if body.given("aliases") { aliases = try KeyRequest.checkAliases(try body.stringMap("aliases") ?? [:]) }
    }

    static func parseDate(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return plain.date(from: text) ?? fractional.date(from: text)
    }

    /// The stored fields of `record` after this change, as the policy bounded it (`granted`).
    func applied(to record: APIKeyRecord, granted: AccessPolicy.NewKey) -> KeyFields {
        KeyFields(alias: alias ?? record.alias, role: granted.role, tenantID: granted.tenant, models: granted.models,
                  expiresAt: granted.expiresAt, aliases: aliases ?? record.aliases)
    }
}
