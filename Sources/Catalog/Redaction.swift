/// What of a deployment's `litellm_params` may be shown: the one rule every read path applies.
///
/// - Dropped: `api_key`, `client_secret`, `vertex_credentials`, `vertex_ai_credentials`,
///   `aws_access_key_id`, `aws_secret_access_key` (compared ignoring case) disappear with their value,
///   as LiteLLM drops them. They are dropped at any depth, not only at the top level: a provider
///   block nested in the params is as secret as the top level, and dropping is never less safe.
/// - Masked: any other key, at any depth (objects and lists of objects), whose name split on `_`
///   and `-` has a piece equal, ignoring case, to one of `secretPieces` (`password`, `secret`, `key`,
///   `token`, `auth`, `authorization`, `cookie`, `credential(s)`, `access`, `private`,
///   `certificate`, `fingerprint`, and plurals but `tokens`) — unless a piece is `cost`,
///   `rpm` or `tpm` (prices and rate limits are not secrets: `input_cost_per_token`). The whole
///   value, even an object or a list, becomes `placeholder`, so nothing of it leaks (no prefix, no
///   length).
/// - Kept as written: a masked key whose value is an `os.environ/NAME` reference (it names where the
///   secret is, it is not the secret), and a masked key whose value is null (nothing is hidden).
public enum Redaction {
    /// Shown instead of a masked value.
    public static let placeholder = "********"

    static let droppedKeys: Set<String> = [
        "api_key", "client_secret", "vertex_credentials", "vertex_ai_credentials",
        "aws_access_key_id", "aws_secret_access_key",
    ]

    /// Plurals are included (a list of keys is as secret as one) except "tokens", which names
    /// limits (`max_tokens`), never secrets.
    static let secretPieces: Set<String> = [
        "password", "secret", "key", "token", "auth", "authorization", "cookie", "credential",
        "credentials", "access", "private", "certificate", "fingerprint",
        "passwords", "secrets", "keys", "cookies", "certificates", "fingerprints",
    ]

    /// Pieces that mark a name as a price or a rate limit, which must stay visible.
    static let exemptPieces: Set<String> = ["cost", "rpm", "tpm"]

    static let environmentReferencePrefix = "os.environ/"

    /// `params` as it may be shown.
    public static func redact(_ params: [String: JSONValue]) -> [String: JSONValue] {
        var shown: [String: JSONValue] = [:]
        shown.reserveCapacity(params.count)
        for (name, value) in params where !isDroppedKey(name) {
            shown[name] = isMaskedKey(name) ? masked(value) : redact(value)
        }
        return shown
    }

    /// Whether the value of `name` is a secret: dropped or masked when shown (and sealed when stored).
    public static func isSecretKey(_ name: String) -> Bool {
        isDroppedKey(name) || isMaskedKey(name)
    }

    /// Whether `name` is left out of what is shown, value and all.
    public static func isDroppedKey(_ name: String) -> Bool {
        droppedKeys.contains(name.lowercased())
    }

    static func isMaskedKey(_ name: String) -> Bool {
        let pieces = name.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" }).map(String.init)
        if pieces.contains(where: exemptPieces.contains) { return false }
        return pieces.contains(where: secretPieces.contains)
    }

    private static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): return .object(redact(members))
        case .array(let items): return .array(items.map(redact))
        default: return value
        }
    }

    private static func masked(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .string(let text) where text.hasPrefix(environmentReferencePrefix): return value
        default: return .string(placeholder)
        }
    }
}
