/// Separates the literal secret values of `litellm_params` from what may be stored in the clear.
///
/// A value is a literal secret when its key is one the redaction rule hides
/// (`Redaction.isSecretKey`), at any depth, and it is neither null nor an `os.environ/NAME`
/// reference. Such a value is taken out whole (even an object) and replaced by
/// `Redaction.placeholder`, so the stored parameters hold no secret and still show where one is.
public enum SecretSplit {
    /// Where a secret sits: object keys and list indices from the top of litellm_params.
    public typealias Path = [PathComponent]

    public enum PathComponent: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The stored parameters and the secrets taken out of them. A secret sent back as the
    /// placeholder takes its value from `previous` (what was sealed before at the same path).
    public static func split(_ params: [String: JSONValue], previous: [Path: JSONValue] = [:])
        -> (stored: [String: JSONValue], secrets: [Path: JSONValue])
    {
        var secrets: [Path: JSONValue] = [:]
        let stored = split(object: params, path: [], previous: previous, secrets: &secrets)
        return (stored, secrets)
    }

    /// The full parameters: `stored` with each secret put back at its path.
    public static func merge(_ stored: [String: JSONValue], secrets: [Path: JSONValue]) -> [String: JSONValue] {
        var value = JSONValue.object(stored)
        for (path, secret) in secrets { value = replacing(value, at: path[...], with: secret) }
        return value.objectValue ?? stored
    }

    /// Whether a value names a secret rather than being one.
    public static func isEnvironmentReference(_ value: JSONValue) -> Bool {
        value.stringValue?.hasPrefix(Redaction.environmentReferencePrefix) == true
    }

    private static func split(object: [String: JSONValue], path: Path, previous: [Path: JSONValue],
                              secrets: inout [Path: JSONValue]) -> [String: JSONValue] {
        var stored: [String: JSONValue] = [:]
        for (key, value) in object {
            let here = path + [.key(key)]
            if Redaction.isSecretKey(key), !value.isNull, !isEnvironmentReference(value) {
                if value == .string(Redaction.placeholder), let kept = previous[here] {
                    secrets[here] = kept
                } else {
                    secrets[here] = value
                }
                stored[key] = .string(Redaction.placeholder)
            } else {
                stored[key] = split(value: value, path: here, previous: previous, secrets: &secrets)
            }
        }
        return stored
    }

    private static func split(value: JSONValue, path: Path, previous: [Path: JSONValue],
                              secrets: inout [Path: JSONValue]) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(split(object: members, path: path, previous: previous, secrets: &secrets))
        case .array(let items):
            return .array(items.enumerated().map { index, item in
                split(value: item, path: path + [.index(index)], previous: previous, secrets: &secrets)
            })
        default:
            return value
        }
    }

    private static func replacing(_ value: JSONValue, at path: ArraySlice<PathComponent>, with secret: JSONValue) -> JSONValue {
        guard let first = path.first else { return secret }
        switch (first, value) {
        case (.key(let key), .object(var members)):
            guard let child = members[key] else { return value }
            members[key] = replacing(child, at: path.dropFirst(), with: secret)
            return .object(members)
        case (.index(let index), .array(var items)) where items.indices.contains(index):
            items[index] = replacing(items[index], at: path.dropFirst(), with: secret)
            return .array(items)
        default:
            return value
        }
    }

    /// Secrets as one JSON document, for sealing: `[{"path": ["extra_headers", "Authorization"], "value": …}]`.
    public static func encode(_ secrets: [Path: JSONValue]) -> JSONValue {
        let entries = secrets.map { path, value -> JSONValue in
            let components = path.map { component -> JSONValue in
                switch component {
                case .key(let key): return .string(key)
                case .index(let index): return .int(index)
                }
            }
            return ["path": .array(components), "value": value]
        }
        // Sorted so that equal secrets seal equal plaintexts (the nonce still differs).
        return .array(entries.sorted { JSONWriter.string($0) < JSONWriter.string($1) })
    }

    /// The inverse of `encode`; nil when the document is not in that shape.
    public static func decode(_ document: JSONValue) -> [Path: JSONValue]? {
        guard let entries = document.arrayValue else { return nil }
        var secrets: [Path: JSONValue] = [:]
        for entry in entries {
            guard let components = entry["path"]?.arrayValue, let value = entry["value"] else { return nil }
            var path: Path = []
            for component in components {
                if let key = component.stringValue { path.append(.key(key)) } else if let index = component.intValue {
                    path.append(.index(index))
                } else { return nil }
            }
            secrets[path] = value
        }
        return secrets
    }
}
