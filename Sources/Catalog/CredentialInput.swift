import Foundation

/// LiteLLM's credential request bodies (`CreateCredentialItem`, `UpdateCredentialItem`), checked
/// and turned into what the store writes. Pure: the store opens and seals the values around it.
public enum CredentialInput {
    /// A credential to create: what may be shown, and its values (to seal).
    public struct New: Sendable, Equatable {
        public var credential: Credential
        public var values: [String: JSONValue]
        /// `credential_info.team_id` as asked (nil: not given); the policy decides the team.
        public var requestedTeam: String?
    }

    /// A PATCH as asked, applied to the stored credential by `apply`.
    public struct Patch: Sendable, Equatable {
        /// nil: leave as it is; `.some(nil)`: clear.
        public var displayName: String??
        public var info: [String: JSONValue]
        public var values: [String: JSONValue]
        public var valuesToDelete: [String]
    }

    static let placeholder = JSONValue.string(Redaction.placeholder)

    /// The body of POST /credentials.
    public static func new(from body: JSONValue) throws -> New {
        let members = try object(body)
        if let modelID = members["model_id"], !modelID.isNull {
            throw CatalogError.invalid(field: "model_id", message: "model_id is not supported: give credential_values (a deployment's own secrets are never copied out of it)")
        }
        guard let nameValue = members["credential_name"], !nameValue.isNull else {
            throw CatalogError.invalid(field: "credential_name", message: "credential_name is required")
        }
        guard let name = nameValue.stringValue, !name.isEmpty else {
            throw CatalogError.invalid(field: "credential_name", message: "credential_name must be a non-empty string, not \(nameValue.typeName)")
        }
        try checkName(name)
        guard let valuesValue = members["credential_values"], !valuesValue.isNull else {
            throw CatalogError.invalid(field: "credential_values", message: "credential_values is required (an object of the values deployments use, such as api_key)")
        }
        guard let given = valuesValue.objectValue else {
            throw CatalogError.invalid(field: "credential_values", message: "credential_values must be an object, not \(valuesValue.typeName)")
        }
        // A null carries no value (LiteLLM drops them); a placeholder has nothing to keep.
        let values = given.filter { !$0.value.isNull }
        guard !values.isEmpty else {
            throw CatalogError.invalid(field: "credential_values", message: "credential_values must hold at least one value")
        }
        if let echoed = values.keys.sorted().first(where: { values[$0] == placeholder }) {
            throw CatalogError.invalid(field: "credential_values.\(echoed)", message: "credential_values.\(echoed) is the masked placeholder \"\(Redaction.placeholder)\", which stands for no stored value here: send the value itself")
        }
        let info = try self.info(members["credential_info"])
        return New(
            credential: Credential(name: name, displayName: try displayName(members["display_name"]) ?? nil, info: info,
                                   valueNames: Array(values.keys)),
            values: values, requestedTeam: try team(in: info))
    }

    /// The body of PATCH /credentials/{name}, for the credential `name`.
    public static func patch(from body: JSONValue, name: String) throws -> Patch {
        let members = try object(body)
        if let given = members["credential_name"], !given.isNull, given.stringValue.map({ ExactID($0) != ExactID(name) }) ?? true {
            throw CatalogError.invalid(field: "credential_name", message: "credential_name cannot change: set display_name to change how the credential is labelled")
        }
        if let modelID = members["model_id"], !modelID.isNull {
            throw CatalogError.invalid(field: "model_id", message: "model_id is not supported: give credential_values")
        }
        var values: [String: JSONValue] = [:]
        if let given = members["credential_values"], !given.isNull {
            guard let object = given.objectValue else {
                throw CatalogError.invalid(field: "credential_values", message: "credential_values must be an object, not \(given.typeName)")
            }
            values = object.filter { !$0.value.isNull }
        }
        var toDelete: [String] = []
        if let given = members["credential_values_to_delete"], !given.isNull {
            guard let items = given.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                throw CatalogError.invalid(field: "credential_values_to_delete", message: "credential_values_to_delete must be a list of value names")
            }
            toDelete = items.compactMap(\.stringValue)
        }
        if let overlap = toDelete.sorted().first(where: { values[$0] != nil }) {
            throw CatalogError.invalid(field: "credential_values_to_delete", message: "credential_values_to_delete names '\(overlap)', which credential_values also sets")
        }
        let displayName: String?? = members.keys.contains("display_name") ? .some(try self.displayName(members["display_name"]) ?? nil) : nil
        return Patch(displayName: displayName, info: try info(members["credential_info"]), values: values, valuesToDelete: toDelete)
    }

    /// `current` (with its opened `values`) changed by `patch`: info merged member by member,
    /// values set, kept (sent back as the placeholder) or deleted. The team cannot change.
    public static func apply(_ patch: Patch, to current: Credential, values: [String: JSONValue]) throws -> (Credential, [String: JSONValue]) {
        var updated = current
        var newValues = values
        for (key, value) in patch.values {
            if value == placeholder {
                // The masked read-back sent back (LiteLLM PR #39878): keep what is stored.
                guard values[key] != nil else {
                    throw CatalogError.invalid(field: "credential_values.\(key)", message: "credential_values.\(key) is the masked placeholder \"\(Redaction.placeholder)\", but the credential has no value '\(key)' to keep: send the value itself")
                }
                continue
            }
            newValues[key] = value
        }
        for key in patch.valuesToDelete { newValues[key] = nil }
        if let team = try team(in: patch.info), ExactID(team) != current.tenantID.map({ ExactID($0) }) {
            throw CatalogError.invalid(field: "credential_info.team_id", message: "a credential's team cannot change: create a credential in the other team instead")
        }
        if patch.info.keys.contains("team_id"), patch.info["team_id"]?.isNull == true, current.tenantID != nil {
            throw CatalogError.invalid(field: "credential_info.team_id", message: "a credential's team cannot change: create a shared credential instead")
        }
        updated.info.merge(patch.info) { _, new in new }
        updated.info["team_id"] = current.tenantID.map(JSONValue.string)
        if let displayName = patch.displayName { updated.displayName = displayName }
        updated.valueNames = newValues.keys.sorted()
        return (updated, newValues)
    }

    static func object(_ body: JSONValue) throws -> [String: JSONValue] {
        guard case .object(let members) = body else {
            throw CatalogError.invalid(field: nil, message: "the request body must be a JSON object")
        }
        return members
    }

    /// Names are path segments of the API (`/credentials/by_name/{name}`): no `/`, no control characters.
    static func checkName(_ name: String) throws {
        guard name.utf8.count <= 255, !name.contains("/"), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CatalogError.invalid(field: "credential_name", message: "credential_name must be at most 255 bytes, without '/' or control characters")
        }
    }

    static func displayName(_ value: JSONValue?) throws -> String?? {
        guard let value else { return nil }
        if value.isNull { return .some(nil) }
        guard let text = value.stringValue else {
            throw CatalogError.invalid(field: "display_name", message: "display_name must be a string or null, not \(value.typeName)")
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 255 else {
            throw CatalogError.invalid(field: "display_name", message: "display_name must be 1 to 255 characters: send null to clear it")
        }
        return .some(trimmed)
    }

    /// `credential_info`: an object of non-secret facts. A member that the redaction rule calls
    /// secret is refused: secrets belong in `credential_values`, which are sealed.
    static func info(_ value: JSONValue?) throws -> [String: JSONValue] {
        guard let value, !value.isNull else { return [:] }
        guard let info = value.objectValue else {
            throw CatalogError.invalid(field: "credential_info", message: "credential_info must be an object, not \(value.typeName)")
        }
        if Redaction.redact(info, document: .metadata) != info {
            let secret = info.keys.sorted().first { Redaction.redact([$0: info[$0]!], document: .metadata) != [$0: info[$0]!] } ?? "credential_info"
            throw CatalogError.invalid(field: "credential_info.\(secret)", message: "credential_info.\(secret) holds what looks like a secret: credential_info is shown to every reader; put secrets in credential_values, which are sealed")
        }
        return info
    }

    static func team(in info: [String: JSONValue]) throws -> String? {
        guard let value = info["team_id"], !value.isNull else { return nil }
        guard let team = value.stringValue, !team.isEmpty else {
            throw CatalogError.invalid(field: "credential_info.team_id", message: "credential_info.team_id must be a team id (a non-empty string), not \(value.typeName)")
        }
        return team
    }
}
