import Foundation

/// An API key as stored: never its text, only a SHA-256 digest.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: UUID
    public var alias: String?
    public var role: Principal.Role
    public var tenantID: String?
    public var models: [String]?
    public var expiresAt: Date?
    public var createdAt: Date?
    public var createdBy: String?
    /// LiteLLM's key `aliases`: alias → model group.
    public var aliases: [String: String]
    /// The allow-list of the key's team as read with the key (`tenants.models`); nil or empty:
    /// no restriction. Kept with the key so that a team's change reaches every replica's
    /// enforcement through the same snapshot of keys.
    public var teamModels: [String]?
    public var updatedAt: Date?
    /// The stored version, given by the database on every write: what the key's ETag is made of.
    public var version: Int

    public init(id: UUID, alias: String?, role: Principal.Role, tenantID: String?, models: [String]?,
                expiresAt: Date?, createdAt: Date?, createdBy: String?, aliases: [String: String] = [:],
                teamModels: [String]? = nil, updatedAt: Date? = nil, version: Int = 1) {
        self.id = id
        self.alias = alias
        self.role = role
        self.tenantID = tenantID
        self.models = models
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.aliases = aliases
        self.teamModels = teamModels
        self.updatedAt = updatedAt
        self.version = version
    }

    /// The key's token: its id as the API shows it (LiteLLM's `token`).
    public var token: String { id.uuidString.lowercased() }

    /// Whether the key still authenticates at `now`.
    public func isLive(at now: Date) -> Bool { expiresAt.map { $0 > now } ?? true }

    /// The caller this key authenticates.
    public var principal: Principal {
        Principal(role: role, tenantID: tenantID, allowedModels: models, actor: "key:\(token)", expiresAt: expiresAt,
                  teamModels: teamModels, aliases: aliases)
    }
}

extension APIKeyRecord {
    /// Whether this is the very key `principal` authenticated with (its actor names the key).
    public func isKey(of principal: Principal) -> Bool {
        principal.actor == "key:\(token)"
    }
}
