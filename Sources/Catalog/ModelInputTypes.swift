/// The types `litellm_params` and `model_info` keys must have, where LiteLLM's schema and the cost
/// map define one: what the gateway, `/model/info` and the reporting views read as a number must be
/// one, in a range a bigint and a JSON client hold. Other keys are open (LiteLLM passes them on).
extension ModelInput {
    /// What a key must hold (null is always accepted: unknown).
    enum FieldType: Sendable {
        /// A whole number from 0 to `maxWhole`: limits and token counts.
        case whole
        /// A finite number from 0: prices, timeouts.
        case amount
        /// A price that the cost map also writes as an object of prices.
        case amountOrObject
        case string
        case bool
    }

    /// The largest whole number accepted: the largest a JSON number holds exactly (2^53 - 1).
    static let maxWhole = 9_007_199_254_740_991

    static let wholeKeys: Set<String> = ["max_tokens", "max_input_tokens", "max_output_tokens"]
    /// Prices the cost map writes as objects (`search_context_cost_per_query`'s sizes).
    static let objectPriceKeys: Set<String> = ["search_context_cost_per_query", "guardrail_cost_per_unit"]

    static func paramType(_ key: String) -> FieldType? {
        switch key {
        case "tpm", "rpm", "max_parallel_requests", "max_retries": return .whole
        case "timeout", "stream_timeout": return .amount
        case "api_base", "api_version", "base_model", "custom_llm_provider", "region_name": return .string
        default:
            if wholeKeys.contains(key) { return .whole }
            return isPrice(key) ? priceType(key) : nil
        }
    }

    static func infoType(_ key: String) -> FieldType? {
        switch key {
        case "base_model", "team_id", "litellm_provider", "mode": return .string
        case "blocked": return .bool
        // The cost map writes these as fractions too.
        case "tpm", "rpm", "output_vector_size", "prompt_cache_min_tokens": return .amount
        default:
            if wholeKeys.contains(key) { return .whole }
            guard ModelInfoSchema.known.contains(key) else { return nil }
            if key.hasPrefix("supports_") { return .bool }
            return isPrice(key) ? priceType(key) : nil
        }
    }

    static func isPrice(_ key: String) -> Bool { key.split(separator: "_").contains("cost") }

    static func priceType(_ key: String) -> FieldType { objectPriceKeys.contains(key) ? .amountOrObject : .amount }

    /// `value` as a key of `type` stores it: a number or a boolean written as a string ("5",
    /// "1e-06", "true") becomes what it says, as LiteLLM's request models (pydantic) read it.
    /// LiteLLM's CLI sends every value so (`litellm-proxy models add NAME -p rpm=5 -i
    /// input_cost_per_token=1e-06`). Throws, naming `field`, when the value is still not of `type`.
    static func conformed(_ value: JSONValue, to type: FieldType, field: String) throws -> JSONValue {
        let value = fromText(value, as: type) ?? value
        try check(value, is: type, field: field)
        return value
    }

    /// The number or boolean a string spells for `type`; nil when it spells none (or is no string).
    static func fromText(_ value: JSONValue, as type: FieldType) -> JSONValue? {
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        switch type {
        case .whole, .amount, .amountOrObject:
            // Decimal digits only: Swift's parsers would also read "0x1p3", "inf" and "nan".
            guard text.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }) else { return nil }
            if let whole = Int(text) { return .int(whole) }
            return Double(text).map(JSONValue.double)
        case .bool:
            // pydantic's spellings of a boolean.
            switch text.lowercased() {
            case "true", "t", "yes", "y", "on", "1": return .bool(true)
            case "false", "f", "no", "n", "off", "0": return .bool(false)
            default: return nil
            }
        case .string:
            return nil
        }
    }

    /// Throws, naming `field`, when `value` is not of `type`.
    static func check(_ value: JSONValue, is type: FieldType, field: String) throws {
        if value.isNull { return }
        switch type {
        case .whole:
            guard let number = value.doubleValue, number.isFinite, number >= 0, number.rounded() == number,
                  number <= Double(maxWhole) else {
                throw CatalogError.invalid(field: field, message: "\(field) must be a whole number from 0 to \(maxWhole), not \(describe(value))")
            }
        case .amount, .amountOrObject:
            if type == .amountOrObject, value.objectValue != nil { return }
            guard let number = value.doubleValue, number.isFinite, number >= 0 else {
                throw CatalogError.invalid(field: field, message: "\(field) must be a finite number from 0, not \(describe(value))")
            }
        case .string:
            guard value.stringValue != nil else {
                throw CatalogError.invalid(field: field, message: "\(field) must be a string, not \(value.typeName)")
            }
        case .bool:
            guard value.boolValue != nil else {
                throw CatalogError.invalid(field: field, message: "\(field) must be true or false, not \(value.typeName)")
            }
        }
    }

    /// A number is named by its kind and value (never secret: these fields are limits and prices),
    /// anything else by its type.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .int(let number): return "\(number)"
        case .double(let number): return "\(number)"
        default: return value.typeName
        }
    }
}

extension ModelInfoSchema {
    /// The schema's keys, for membership tests.
    static let known: Set<String> = Set(keys)
}
