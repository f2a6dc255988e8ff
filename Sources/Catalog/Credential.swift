import Foundation

/// A reusable credential (LiteLLM's `CredentialItem`): values that many deployments use by naming
/// it in `litellm_params.litellm_credential_name`, so that rotating them is one write.
///
/// This type holds what may be shown: `credential_values` are sealed by the store and never held
/// here, only their names (so the masked read-back can list them). `tenantID` nil: shared by every
/// team (an admin's); otherwise only that team's models may use it.
public struct Credential: Sendable, Hashable {
    /// `credential_name`: the primary key, compared byte for byte.
    public var name: String
    public var tenantID: String?
    public var displayName: String?
    /// `credential_info`, non-secret, as stored (shown through `Redaction`).
    public var info: [String: JSONValue]
    /// The names of `credential_values`, sorted; their values are sealed.
    public var valueNames: [String]
    public var version: Int
    public var createdAt: Date?
    public var updatedAt: Date?
    public var createdBy: String?
    public var updatedBy: String?

    public init(name: String, tenantID: String? = nil, displayName: String? = nil, info: [String: JSONValue] = [:],
                valueNames: [String] = [], version: Int = 1, createdAt: Date? = nil, updatedAt: Date? = nil,
                createdBy: String? = nil, updatedBy: String? = nil) {
        self.name = name
        self.tenantID = tenantID
        self.displayName = displayName
        self.info = info
        self.valueNames = valueNames.sorted()
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
        self.updatedBy = updatedBy
    }

    /// The `litellm_params` member a deployment names its credential with.
    public static let paramName = "litellm_credential_name"
    /// How messages name it.
    public static let fieldName = "litellm_params.\(paramName)"

    /// The credential `params` (a deployment's `litellm_params`) names: nil when it names none
    /// (absent or null); a value that is not a non-empty string is refused, naming the field.
    public static func named(in params: [String: JSONValue]) throws -> String? {
        guard let value = params[paramName], !value.isNull else { return nil }
        guard let name = value.stringValue, !name.isEmpty else {
            throw CatalogError.invalid(field: fieldName, message: "\(fieldName) must be a non-empty string (a credential's name), not \(value.typeName)")
        }
        return name
    }
}

/// The credentials a replica holds in its snapshot, by name (byte-exact).
public struct CredentialSet: Sendable, Hashable {
    public let byName: [ExactID: Credential]

    public init(_ credentials: [Credential] = []) {
        byName = Dictionary(credentials.map { (ExactID($0.name), $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func credential(named name: String) -> Credential? { byName[ExactID(name)] }

    /// Every credential, by name (byte order, as the database's `ORDER BY name COLLATE "C"`).
    public var all: [Credential] { byName.values.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) } }

    public static let empty = CredentialSet()
}

extension Credential {
    /// What the use rule needs to know of an existing credential: its team (nil: shared).
    public struct Owner: Sendable, Hashable {
        public var tenant: String?
        public init(tenant: String?) { self.tenant = tenant }
    }
}
