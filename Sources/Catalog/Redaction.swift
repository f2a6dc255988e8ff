import Foundation

/// What of a deployment's `litellm_params`, `model_info` and a team's `metadata` is secret: the one
/// rule every read path applies to show them, and `SecretSplit` applies to seal them.
///
/// A member of an object is secret when (README, "What is treated as a secret"):
/// - its **name** is secret: split into pieces on `_`, `-`, `.`, spaces and camelCase boundaries
///   (`apiKey` → `api`,`key`; `XApiKey` → `x`,`api`,`key`; `APIKey` → `api`,`key`), a piece
///   equals, ignoring case, one of `secretPieces` — unless a piece is `cost`, `rpm` or `tpm`
///   (prices and rate limits: `input_cost_per_token`);
/// - or its **value** is secret by its form, whatever the name (`SecretValues`): a URL with
///   userinfo (`https://user:pass@host`), a URL whose query names a secret parameter, a
///   connection string with a secret-named part (`A=b;AccountKey=xyz`), an `Authorization`
///   value (`Bearer x`, `Basic x`) or a PEM private key;
/// - or it is the `value` of a header pair (`{"name": "Authorization", "value": "Bearer x"}`, the
///   name also under `key` or `header`) whose name is secret.
/// A list item is secret when its value is secret by its form.
///
/// Secret values are masked whole, even an object or a list, as `placeholder` (no prefix, no
/// length): a URL or a connection string is one secret, not a clear part and a secret part, so
/// nothing of it is shown or stored in clear. `api_key`, `client_secret`, `vertex_credentials`,
/// `vertex_ai_credentials`, `aws_access_key_id`, `aws_secret_access_key` are dropped with their
/// value instead, at any depth, as LiteLLM drops them. Kept as written: an `os.environ/NAME`
/// reference (it names where the secret is) and null (nothing is hidden).
///
/// Some names are public whatever they look like: `litellm_params.model` (the gateway routes and
/// prices by it), `litellm_params.litellm_credential_name` (it names a credential, whose values are
/// sealed with it: `Credential`) and, at the top of `model_info`, the keys LiteLLM's `model_info` defines
/// (`ModelInfoSchema`: `key` names a cost-map entry, `token_count_model` a tokenizer) with `id`,
/// `team_id` and `access_groups`.
public enum Redaction {
    /// Shown instead of a masked value.
    public static let placeholder = "********"

    /// Which document a rule applies to: they differ only in the names that are public by definition.
    public enum Document: Sendable {
        case litellmParams, modelInfo, metadata

        /// How messages name the document.
        public var fieldName: String {
            switch self {
            case .litellmParams: return "litellm_params"
            case .modelInfo: return "model_info"
            case .metadata: return "metadata"
            }
        }

        /// Top-level names this document never treats as secret.
        var publicNames: Set<String> {
            switch self {
            case .litellmParams: return ["model", Credential.paramName]
            case .modelInfo: return Redaction.publicModelInfoNames
            case .metadata: return []
            }
        }
    }

    /// Bumped whenever the rule changes, so that the store seals, once, what an older rule left in
    /// clear (`SecretReseal`).
    public static let ruleVersion = 2

    static let droppedKeys: Set<String> = [
        "api_key", "client_secret", "vertex_credentials", "vertex_ai_credentials",
        "aws_access_key_id", "aws_secret_access_key",
    ]

    /// Plurals are included (a list of keys is as secret as one) except "tokens", which names
    /// limits (`max_tokens`), never secrets. `pass` is not a piece: `use_in_pass_through` is a flag.
    static let secretPieces: Set<String> = [
        "password", "secret", "key", "token", "auth", "authorization", "cookie", "credential",
        "credentials", "access", "private", "certificate", "fingerprint",
        "passwords", "secrets", "keys", "cookies", "certificates", "fingerprints",
        "apikey", "apikeys", "passwd", "pwd", "bearer", "passphrase", "signature", "sig",
    ]

    /// Pieces that mark a name as a price or a rate limit, which must stay visible.
    static let exemptPieces: Set<String> = ["cost", "rpm", "tpm"]

    /// `access_groups` names LiteLLM's model access groups (its piece `access` would otherwise
    /// make it secret): the policy reads it, so it must be stored and shown as written.
    static let publicModelInfoNames: Set<String> = Set(ModelInfoSchema.keys + ModelInfoEnrichment.coreKeys + ["team_id", "access_groups"])

    static let environmentReferencePrefix = "os.environ/"

    /// `params` (a deployment's `litellm_params`) as it may be shown.
    public static func redact(_ params: [String: JSONValue]) -> [String: JSONValue] {
        redact(params, document: .litellmParams)
    }

    /// A document as it may be shown.
    public static func redact(_ object: [String: JSONValue], document: Document) -> [String: JSONValue] {
        redact(object: object, publicNames: document.publicNames)
    }

    /// Whether the value of `name` is a secret by its name alone: dropped or masked when shown (and
    /// sealed when stored).
    public static func isSecretKey(_ name: String) -> Bool {
        let verdict = NameVerdict.of(name)
        return verdict.isDropped || verdict.isMasked
    }

    /// Whether `name` is left out of what is shown, value and all.
    public static func isDroppedKey(_ name: String) -> Bool {
        NameVerdict.of(name).isDropped
    }

    /// Whether the member `name` of `object` holds a secret, by its name, its value or its pair.
    /// Null and `os.environ/` references are never secret values.
    public static func isSecretMember(_ name: String, of object: [String: JSONValue], publicNames: Set<String> = []) -> Bool {
        guard let value = object[name] else { return false }
        return isSecretMember(name, value: value, verdict: NameVerdict.of(name), of: object, publicNames: publicNames)
    }

    /// `isSecretMember` for a member already in hand, with its name's verdict.
    private static func isSecretMember(
        _ name: String, value: JSONValue, verdict: NameVerdict, of object: [String: JSONValue], publicNames: Set<String>
    ) -> Bool {
        guard !value.isNull, !SecretSplit.isEnvironmentReference(value) else { return false }
        if publicNames.contains(name) { return false }
        return verdict.isDropped || verdict.isMasked || SecretValues.isSecret(value)
            || (verdict.isValueName && isSecretPairValue(of: object))
    }

    /// Whether a list item holds a secret by its form.
    public static func isSecretItem(_ value: JSONValue) -> Bool {
        !SecretSplit.isEnvironmentReference(value) && SecretValues.isSecret(value)
    }

    static func isMaskedKey(_ name: String) -> Bool {
        NameVerdict.of(name).isMasked
    }

    /// The rule for names, worked out (`NameVerdict` remembers it).
    fileprivate static func computedIsMaskedKey(_ name: String) -> Bool {
        let pieces = namePieces(name)
        if pieces.contains(where: exemptPieces.contains) { return false }
        return pieces.contains(where: secretPieces.contains)
    }

    /// `{"name": "Authorization", "value": "Bearer x"}`: whether the member `value` (any case; the
    /// caller has its name's verdict) of `object` is the value of a pair named by a secret name.
    static func isSecretPairValue(of object: [String: JSONValue]) -> Bool {
        return ["name", "key", "header"].contains { object[$0]?.stringValue.map(isSecretKey) == true }
    }

    /// `XApiKey` → x, api, key; `AWSSecret_key` → aws, secret, key; lowercased.
    static func namePieces(_ name: String) -> [String] {
        // Names are nearly always ASCII, and this runs for every member of every deployment a
        // snapshot takes in: split the bytes then, without Unicode character properties.
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return asciiPieces(Array(name.utf8)) }
        return characterPieces(name)
    }

    /// `characterPieces` for an ASCII name, on its bytes.
    static func asciiPieces(_ bytes: [UInt8]) -> [String] {
        func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var pieces: [String] = []
        var current: [UInt8] = []
        func flush() {
            if !current.isEmpty { pieces.append(String(decoding: current.map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: " ") {
                flush()
                continue
            }
            if isUpper(byte), let last = current.last {
                let nextIsLower = index + 1 < bytes.count && isLower(bytes[index + 1])
                if isLower(last) || isDigit(last) || (isUpper(last) && nextIsLower) { flush() }
            }
            current.append(byte)
        }
        flush()
        return pieces
    }

    /// The split by characters, for any name.
    static func characterPieces(_ name: String) -> [String] {
        var pieces: [String] = []
        var current: [Character] = []
        let characters = Array(name)
        func flush() {
            if !current.isEmpty { pieces.append(String(current).lowercased()) }
            current.removeAll(keepingCapacity: true)
        }
        for (index, character) in characters.enumerated() {
            if character == "_" || character == "-" || character == "." || character == " " {
                flush()
                continue
            }
            if character.isUppercase, let last = current.last {
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                // A new word starts at an upper-case letter after a lower-case one or a digit
                // (apiKey), or at the last capital of an acronym followed by lower case (APIKey).
                if last.isLowercase || last.isNumber || (last.isUppercase && nextIsLower) { flush() }
            }
            current.append(character)
        }
        flush()
        return pieces
    }

    private static func redact(object: [String: JSONValue], publicNames: Set<String>) -> [String: JSONValue] {
        redactedIfChanged(object: object, publicNames: publicNames) ?? object
    }

    /// A value nested in a document (a member's value, a list item) as it may be shown, once its
    /// own name has been judged by the document around it.
    static func shownValue(_ value: JSONValue) -> JSONValue { redact(value) }

    private static func redact(_ value: JSONValue) -> JSONValue {
        redactedIfChanged(value) ?? value
    }

    /// The object as it may be shown, or nil when that is the object itself: most documents hide
    /// nothing but a dropped key, and a copy made only on the first change (copy-on-write) costs
    /// far less than rebuilding every one member by member.
    private static func redactedIfChanged(object: [String: JSONValue], publicNames: Set<String>) -> [String: JSONValue]? {
        var shown: [String: JSONValue]?
        for (name, value) in object {
            let verdict = NameVerdict.of(name)
            if verdict.isDropped {
                if shown == nil { shown = object }
                shown?.removeValue(forKey: name)
            } else if isSecretMember(name, value: value, verdict: verdict, of: object, publicNames: publicNames) {
                if shown == nil { shown = object }
                shown?[name] = .string(placeholder)
            } else if let redacted = redactedIfChanged(value) {
                if shown == nil { shown = object }
                shown?[name] = redacted
            }
        }
        return shown
    }

    private static func redactedIfChanged(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let members):
            return redactedIfChanged(object: members, publicNames: []).map(JSONValue.object)
        case .array(let items):
            var shown: [JSONValue]?
            for (index, item) in items.enumerated() {
                let replacement: JSONValue? = isSecretItem(item) ? .string(placeholder) : redactedIfChanged(item)
                guard let replacement else { continue }
                if shown == nil { shown = items }
                shown?[index] = replacement
            }
            return shown.map(JSONValue.array)
        default:
            // Scalars, and `.encoded` values, which hold what was already shown.
            return nil
        }
    }
}

/// What the rule says of a member's name alone, remembered per name and thread.
///
/// A snapshot load judges every member of every deployment (about ten million names at a million
/// deployments), and the names repeat: the same few dozen LiteLLM parameters. Splitting each one
/// into pieces again was a fifth of a replica's start-up. The verdict is the rule's own answer
/// (`Redaction.computedIsMaskedKey`, `droppedKeys`), kept, never a second list of names. Each
/// thread keeps its own memo: one shared behind a lock was contended by the loading threads.
struct NameVerdict: Sendable {
    /// Dropped with its value (`Redaction.droppedKeys`).
    var isDropped: Bool
    /// Masked by its name (`Redaction.secretPieces`).
    var isMasked: Bool
    /// `value`, in any case: the value of a header pair (`Redaction.isSecretPairValue`).
    var isValueName: Bool

    static func of(_ name: String) -> NameVerdict {
        let memo = Memo.current
        if let verdict = memo.verdicts[name] { return verdict }
        let lowercased = name.lowercased()
        let verdict = NameVerdict(
            isDropped: Redaction.droppedKeys.contains(lowercased), isMasked: Redaction.computedIsMaskedKey(name),
            isValueName: lowercased == "value")
        if memo.verdicts.count < Memo.capacity { memo.verdicts[name] = verdict }
        return verdict
    }

    /// One thread's verdicts, reached through a pthread key (released with the thread).
    private final class Memo {
        /// Names are user data: past this many distinct ones, the rest are judged each time.
        static let capacity = 4_096
        var verdicts: [String: NameVerdict] = [:]

        static let key: pthread_key_t = {
            var key = pthread_key_t()
            let created = pthread_key_create(&key) { pointer in
                guard let pointer else { return }
                Unmanaged<Memo>.fromOpaque(pointer).release()
            }
            precondition(created == 0, "pthread_key_create failed")
            return key
        }()

        static var current: Memo {
            if let pointer = pthread_getspecific(key) { return Unmanaged<Memo>.fromOpaque(pointer).takeUnretainedValue() }
            let memo = Memo()
            pthread_setspecific(key, Unmanaged.passRetained(memo).toOpaque())
            return memo
        }
    }
}
