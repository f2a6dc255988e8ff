/// Separates the literal secret values of a deployment's `litellm_params` and `model_info` (and of a
/// team's `metadata`) from what may be stored in the clear.
///
/// A value is a literal secret when the redaction rule calls it secret (`Redaction.isSecretMember`,
/// `Redaction.isSecretItem`: by its name, its form or its pair), at any depth, and it is neither
/// null nor an `os.environ/NAME` reference. Such a value is taken out whole (even an object) and
/// replaced by `Redaction.placeholder`, so the stored document holds no secret and still shows
/// where one is.
public enum SecretSplit {
    /// Where a secret sits: object keys and list indices from the top of its document.
    public typealias Path = [PathComponent]

    public enum PathComponent: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    /// The literal secrets of one deployment: those of `litellm_params` and those of `model_info`,
    /// each by its path from the top of its document. Sealed together as one blob.
    public struct Secrets: Hashable, Sendable {
        public var litellmParams: [Path: JSONValue]
        public var modelInfo: [Path: JSONValue]

        public init(litellmParams: [Path: JSONValue] = [:], modelInfo: [Path: JSONValue] = [:]) {
            self.litellmParams = litellmParams
            self.modelInfo = modelInfo
        }

        public var isEmpty: Bool { litellmParams.isEmpty && modelInfo.isEmpty }
    }

    /// The stored form of `object` (a `document`) and the secrets taken out of it.
    ///
    /// A value sent as the placeholder keeps the secret `previous` (the document as it was, its
    /// secrets opened) holds at the same path. Where `previous` holds none there, the placeholder
    /// is refused (`CatalogError.invalid` naming the path, never a value): storing it would replace
    /// a secret by the text "********". Inside a list, the element holding the placeholder must be,
    /// secrets apart, the element that was at that index before: when elements were added, removed,
    /// moved or edited before it, an index no longer says which secret is meant, and the
    /// placeholder is refused rather than resolved to another element's secret.
    public static func split(_ object: [String: JSONValue], document: Redaction.Document = .litellmParams,
                             previous: [String: JSONValue]? = nil) throws
        -> (stored: [String: JSONValue], secrets: [Path: JSONValue])
    {
        var walker = Walker(document: document, strict: true)
        let stored = try walker.object(object, previous: previous, path: [], changedList: nil)
        return (stored, walker.secrets)
    }

    /// The stored form and the secrets of a document as it is, placeholders kept as written (they
    /// hold no secret): for rows an older rule stored, and for deriving public ids.
    public static func separate(_ object: [String: JSONValue], document: Redaction.Document = .litellmParams)
        -> (stored: [String: JSONValue], secrets: [Path: JSONValue])
    {
        var walker = Walker(document: document, strict: false)
        // Never throws when not strict.
        let stored = (try? walker.object(object, previous: nil, path: [], changedList: nil)) ?? object
        return (stored, walker.secrets)
    }

    /// The full document: `stored` with each secret put back at its path.
    public static func merge(_ stored: [String: JSONValue], secrets: [Path: JSONValue]) -> [String: JSONValue] {
        var value = JSONValue.object(stored)
        for (path, secret) in secrets { value = replacing(value, at: path[...], with: secret) }
        return value.objectValue ?? stored
    }

    /// Whether a value names a secret rather than being one.
    public static func isEnvironmentReference(_ value: JSONValue) -> Bool {
        value.stringValue?.hasPrefix(Redaction.environmentReferencePrefix) == true
    }

    /// `litellm_params.extra_headers[0].value`, for messages.
    public static func fieldName(_ path: Path, document: Redaction.Document = .litellmParams) -> String {
        document.fieldName + path.map { component in
            switch component {
            case .key(let key): return ".\(key)"
            case .index(let index): return "[\(index)]"
            }
        }.joined()
    }

    /// One pass over a document, collecting its secrets.
    struct Walker {
        let document: Redaction.Document
        /// Whether a placeholder must resolve to a previous secret.
        let strict: Bool
        var secrets: [Path: JSONValue] = [:]

        static let placeholder = JSONValue.string(Redaction.placeholder)

        mutating func object(_ members: [String: JSONValue], previous: [String: JSONValue]?, path: Path,
                             changedList: Path?) throws -> [String: JSONValue] {
            let publicNames = path.isEmpty ? document.publicNames : []
            var stored: [String: JSONValue] = [:]
            stored.reserveCapacity(members.count)
            for (key, value) in members {
                let here = path + [.key(key)]
                if value == Self.placeholder {
                    let kept = previous.flatMap { previous in
                        Redaction.isSecretMember(key, of: previous, publicNames: publicNames) ? previous[key] : nil
                    }
                    stored[key] = try placeholder(at: here, keeping: kept, changedList: changedList)
                } else if Redaction.isSecretMember(key, of: members, publicNames: publicNames) {
                    secrets[here] = value
                    stored[key] = Self.placeholder
                } else {
                    stored[key] = try self.value(value, previous: previous?[key], path: here, changedList: changedList)
                }
            }
            return stored
        }

        mutating func value(_ value: JSONValue, previous: JSONValue?, path: Path, changedList: Path?) throws -> JSONValue {
            switch value {
            case .object(let members):
                return .object(try object(members, previous: previous?.objectValue, path: path, changedList: changedList))
            case .array(let items):
                let before = previous?.arrayValue
                var stored: [JSONValue] = []
                stored.reserveCapacity(items.count)
                for (index, item) in items.enumerated() {
                    let here = path + [.index(index)]
                    // The element at this index before, if it is the same element (secrets apart).
                    var same: JSONValue?
                    if let before, index < before.count, Walker.storedForm(item, document: document) == Walker.storedForm(before[index], document: document) {
                        same = before[index]
                    }
                    let changed = before != nil && same == nil ? path : changedList
                    if item == Self.placeholder {
                        let kept = same.flatMap { Redaction.isSecretItem($0) ? $0 : nil }
                        stored.append(try placeholder(at: here, keeping: kept, changedList: changed))
                    } else if Redaction.isSecretItem(item) {
                        secrets[here] = item
                        stored.append(Self.placeholder)
                    } else {
                        stored.append(try self.value(item, previous: same, path: here, changedList: changed))
                    }
                }
                return .array(stored)
            case .encoded:
                // Never in what is written (only snapshots hold it), but split it as its tree if it is.
                return try self.value(value.expanded, previous: previous, path: path, changedList: changedList)
            default:
                return value
            }
        }

        /// What a placeholder at `path` stores: itself, with the previous secret `kept` sealed.
        mutating func placeholder(at path: Path, keeping kept: JSONValue?, changedList: Path?) throws -> JSONValue {
            if let kept, kept != Self.placeholder {
                secrets[path] = kept
            } else if strict {
                let field = SecretSplit.fieldName(path, document: document)
                if let changedList {
                    throw CatalogError.invalid(field: field, message: """
                        \(field) is the placeholder "\(Redaction.placeholder)", but the list \(SecretSplit.fieldName(changedList, document: document)) \
                        changed before it (an element was added, removed, moved or edited), so the placeholder cannot say \
                        which stored secret it keeps: send the secret itself
                        """)
                }
                throw CatalogError.invalid(field: field, message: """
                    \(field) is the placeholder "\(Redaction.placeholder)", but no secret is stored there to keep: \
                    send the secret itself, or an os.environ/NAME reference
                    """)
            }
            return Self.placeholder
        }

        /// A value as it is stored, secrets replaced by the placeholder: what two list elements
        /// are compared by.
        static func storedForm(_ value: JSONValue, document: Redaction.Document) -> JSONValue {
            var walker = Walker(document: document, strict: false)
            return (try? walker.value(value, previous: nil, path: [.index(0)], changedList: nil)) ?? value
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

    /// Secrets as one JSON document, for sealing:
    /// `[{"path": ["extra_headers", "Authorization"], "value": …}, {"in": "model_info", "path": […], …}]`.
    /// Entries of `litellm_params` carry no `in`, as blobs sealed before model_info had secrets.
    public static func encode(_ secrets: Secrets) -> JSONValue {
        let entries = entries(secrets.litellmParams, in: nil) + entries(secrets.modelInfo, in: "model_info")
        // Sorted so that equal secrets seal equal plaintexts (the nonce still differs).
        return .array(entries.sorted { JSONWriter.string($0) < JSONWriter.string($1) })
    }

    /// The secrets of `litellm_params` alone as one JSON document.
    public static func encode(_ secrets: [Path: JSONValue]) -> JSONValue {
        encode(Secrets(litellmParams: secrets))
    }

    private static func entries(_ secrets: [Path: JSONValue], in document: String?) -> [JSONValue] {
        secrets.map { path, value -> JSONValue in
            let components = path.map { component -> JSONValue in
                switch component {
                case .key(let key): return .string(key)
                case .index(let index): return .int(index)
                }
            }
            var entry: [String: JSONValue] = ["path": .array(components), "value": value]
            if let document { entry["in"] = .string(document) }
            return .object(entry)
        }
    }

    /// The inverse of `encode`; nil when the document is not in that shape.
    public static func decode(_ document: JSONValue) -> Secrets? {
        guard let entries = document.arrayValue else { return nil }
        var secrets = Secrets()
        for entry in entries {
            guard let components = entry["path"]?.arrayValue, let value = entry["value"] else { return nil }
            var path: Path = []
            for component in components {
                if let key = component.stringValue { path.append(.key(key)) } else if let index = component.intValue {
                    path.append(.index(index))
                } else { return nil }
            }
            switch entry["in"] {
            case nil: secrets.litellmParams[path] = value
            case .string("model_info")?: secrets.modelInfo[path] = value
            default: return nil
            }
        }
        return secrets
    }
}

extension SecretSplit {
    /// A deployment as stored, its literal secrets (of `litellm_params` and `model_info`) taken out.
    /// `previous` is the deployment as it was, its secrets opened (see `split(_:document:previous:)`).
    public static func split(_ deployment: Deployment, previous: Deployment? = nil) throws -> (stored: Deployment, secrets: Secrets) {
        let params = try split(deployment.litellmParams, document: .litellmParams, previous: previous?.litellmParams)
        let info = try split(deployment.modelInfo, document: .modelInfo, previous: previous?.modelInfo)
        var stored = deployment
        stored.litellmParams = params.stored
        stored.modelInfo = info.stored
        return (stored, Secrets(litellmParams: params.secrets, modelInfo: info.secrets))
    }

    /// A stored deployment with its secrets put back.
    public static func merge(_ deployment: Deployment, secrets: Secrets) -> Deployment {
        var full = deployment
        full.litellmParams = merge(deployment.litellmParams, secrets: secrets.litellmParams)
        full.modelInfo = merge(deployment.modelInfo, secrets: secrets.modelInfo)
        return full
    }
}
