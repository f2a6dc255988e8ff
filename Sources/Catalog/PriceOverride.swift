import Foundation

/// An operator's prices for one cost-map key, for every tenant: the layer between LiteLLM's cost
/// map (upstream, replaced whole by a reload) and a deployment's own prices. It lives apart from
/// the map, so no reload or import ever erases it, and it remembers what the map said when it was
/// set, so that a later change upstream is noticed (`drift`) rather than silently hidden.
public struct PriceOverride: Sendable, Hashable {
    /// The cost-map key it prices (`gpt-4o`, `azure/gpt-4o`, …); the key may be absent from the map.
    public var key: String
    /// Price fields (`input_cost_per_token`, …) → a number.
    public var prices: [String: JSONValue]
    /// What the cost map said for each of those fields when the override was last set (null: it
    /// said nothing).
    public var upstream: [String: JSONValue]
    public var note: String?
    public var version: Int
    public var updatedAt: Date?
    public var updatedBy: String?

    public init(key: String, prices: [String: JSONValue], upstream: [String: JSONValue], note: String? = nil, version: Int = 1,
                updatedAt: Date? = nil, updatedBy: String? = nil) {
        self.key = key
        self.prices = prices
        self.upstream = upstream
        self.note = note
        self.version = version
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }

    /// The overridden fields whose upstream value is no longer what it was when the override was
    /// set, given the map's entry now (nil: the map has none).
    public func drift(from entry: [String: JSONValue]?) -> [String] {
        prices.keys.filter { field in !(entry?[field] ?? .null).sameValue(as: upstream[field] ?? .null) }.sorted()
    }

    /// The override's prices, checked: a non-empty object of price fields (a name with `cost`, as
    /// LiteLLM's are), each a number of zero or more. `field` names the object in errors.
    public static func checkedPrices(_ value: JSONValue?, field: String = "prices") throws -> [String: JSONValue] {
        guard case .object(let prices)? = value, !prices.isEmpty else {
            throw CatalogError.invalid(field: field, message: "\(field) must be a non-empty object of price fields, e.g. {\"input_cost_per_token\": 2.5e-06}")
        }
        for (name, price) in prices {
            guard ModelInfoEnrichment.isPriceKey(name) else {
                throw CatalogError.invalid(field: "\(field).\(name)", message: "\(name) is not a price field (LiteLLM's price fields have 'cost' in their name)")
            }
            guard let number = price.doubleValue, number >= 0, number.isFinite else {
                throw CatalogError.invalid(field: "\(field).\(name)", message: "\(field).\(name) must be a number of zero or more, not \(price.typeName)")
            }
        }
        return prices
    }

    /// The override as the API lists it, with its drift against `entry` (the map's entry now).
    public func json(upstreamEntry entry: [String: JSONValue]?) -> JSONValue {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let drifted = drift(from: entry)
        return [
            "model": .string(key), "prices": .object(prices),
            "upstream_when_set": .object(upstream),
            "upstream_now": .object(Dictionary(uniqueKeysWithValues: prices.keys.map { ($0, entry?[$0] ?? .null) })),
            "pricing_drift": .bool(!drifted.isEmpty), "drifted_fields": .array(drifted.map(JSONValue.string)),
            "note": note.map(JSONValue.string) ?? .null, "version": .int(version),
            "updated_at": updatedAt.map { .string(formatter.string(from: $0)) } ?? .null,
            "updated_by": updatedBy.map(JSONValue.string) ?? .null,
        ]
    }
}
