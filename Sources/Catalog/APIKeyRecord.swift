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

    public init(id: UUID, alias: String?, role: Principal.Role, tenantID: String?, models: [String]?,
                expiresAt: Date?, createdAt: Date?, createdBy: String?) {
        self.id = id
        self.alias = alias
        self.role = role
        self.tenantID = tenantID
        self.models = models
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.createdBy = createdBy
    }

    /// Whether the key still authenticates at `now`.
    public func isLive(at now: Date) -> Bool { expiresAt.map { $0 > now } ?? true }

    /// The caller this key authenticates.
    public var principal: Principal {
        Principal(role: role, tenantID: tenantID, allowedModels: models, actor: "key:\(id.uuidString.lowercased())",
                  expiresAt: expiresAt)
    }
}
