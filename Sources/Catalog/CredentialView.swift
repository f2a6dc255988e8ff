import Foundation

/// How a credential is shown: LiteLLM's `CredentialView` (`credential_name`, `display_name`,
/// `credential_info`, `credential_values`, `source`), with every value masked whole as
/// `Redaction.placeholder` (no prefix, no length) and `credential_info` through `Redaction`.
/// Values never reach this layer: the view is built from names only.
public enum CredentialView {
    public static func json(_ credential: Credential) -> JSONValue {
        var info = Redaction.redact(credential.info, document: .metadata)
        info["team_id"] = credential.tenantID.map(JSONValue.string) ?? .null
        return [
            "credential_name": .string(credential.name),
            "display_name": credential.displayName.map(JSONValue.string) ?? .null,
            "credential_info": .object(info),
            "credential_values": .object(Dictionary(uniqueKeysWithValues: credential.valueNames.map { ($0, JSONValue.string(Redaction.placeholder)) })),
            "source": "db",
            "version": .int(credential.version),
            "created_at": credential.createdAt.map { .string($0.formatted(.iso8601)) } ?? .null,
            "updated_at": credential.updatedAt.map { .string($0.formatted(.iso8601)) } ?? .null,
        ]
    }
}
