/// A JSON value, as LiteLLM's `litellm_params` and `model_info` hold them.
///
/// Integers and fractions are kept apart so that `"tpm": 10000` round-trips as written.
///
/// `.encoded` is an array or an object already written out (`EncodedJSON`), as snapshots hold
/// shown documents. The accessors look through it, so `objectValue`, `arrayValue` and `[key]` answer
/// for it as for the tree it stands for; but it equals only another `.encoded` with the same bytes.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    case encoded(EncodedJSON)

    /// The member `key` of an object; nil for anything else or a missing key.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        switch self {
        case .object(let members): return members
        case .encoded(let written) where written.isObject: return written.value.objectValue
        default: return nil
        }
    }

    public var arrayValue: [JSONValue]? {
        switch self {
        case .array(let items): return items
        case .encoded(let written) where !written.isObject: return written.value.arrayValue
        default: return nil
        }
    }

    /// The tree an `.encoded` value stands for (decoded one level: its members may be trees);
    /// any other value as it is.
    public var expanded: JSONValue {
        if case .encoded(let written) = self { return written.value }
        return self
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// A number as a Double, whether it was written as an integer or not.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// A number as an Int when it is integral.
    public var intValue: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type's name, for error messages ("expected a string, got an array").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .encoded(let written): return written.isObject ? "an object" : "an array"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .encoded(let written): try container.encode(written.value)
        }
    }
}

extension JSONValue {
    /// Equal as JSON, numbers by value: a client or a map may write 128000.0 for 128000, or
    /// 3e-06 for 0.000003.
    public func sameValue(as other: JSONValue) -> Bool {
        if let x = doubleValue, let y = other.doubleValue { return x == y }
        return self == other
    }
}
