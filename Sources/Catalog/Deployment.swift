import Foundation

/// One model deployment: a row of the `models` table, LiteLLM's `model_list` entry.
public struct Deployment: Sendable, Hashable {
    /// Where a deployment came from: a config file (at start or `import-config`), the API, or a
    /// plain SQL `INSERT` (the column's default).
    public enum Source: String, Sendable, Hashable, CaseIterable {
        case config
        case api
        case sql
    }

    /// LiteLLM's `model_info.id`.
    public var id: String
    /// The owning tenant (LiteLLM team_id); nil for a model shared by every tenant. This, the
    /// `models.tenant_id` column, is the owner whatever `model_info` says: views show it as
    /// `model_info.team_id`.
    public var tenantID: String?
    /// The public name clients ask for (LiteLLM's `model_name`, the model group).
    public var modelName: String
    /// LiteLLM's `litellm_params` as stored (never shown without `Redaction`).
    public var litellmParams: [String: JSONValue]
    /// The `model_info` the user gave (without the keys enrichment adds).
    public var modelInfo: [String: JSONValue]
    public var version: Int
    public var source: Source
    public var createdAt: Date?
    public var updatedAt: Date?
    public var createdBy: String?
    public var updatedBy: String?

    public init(
        id: String, tenantID: String? = nil, modelName: String, litellmParams: [String: JSONValue],
        modelInfo: [String: JSONValue] = [:], version: Int = 1, source: Source = .api,
        createdAt: Date? = nil, updatedAt: Date? = nil, createdBy: String? = nil, updatedBy: String? = nil
    ) {
        self.id = id
        self.tenantID = tenantID
        self.modelName = modelName
        self.litellmParams = litellmParams
        self.modelInfo = modelInfo
        self.version = version
        self.source = source
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
        self.updatedBy = updatedBy
    }

    /// Gives the deployment to `tenant` (nil: shared), and keeps the `model_info.team_id` it is
    /// stored with equal to it, as LiteLLM shows a team model's team.
    public mutating func assign(to tenant: String?) {
        tenantID = tenant
        modelInfo["team_id"] = tenant.map(JSONValue.string)
    }

    /// `litellm_params.model`, e.g. `azure/gpt-4o-deploy-002`.
    public var litellmModel: String { litellmParams["model"]?.stringValue ?? "" }
}

/// LiteLLM's cost map (`model_prices_and_context_window.json`): prices and limits per model key,
/// with the operator's price overrides over it.
///
/// The layers stay apart: `entries` is the map as loaded (upstream), `overrides` the operator's.
/// `subscript` gives the merged entry (an override's prices win), which is what every view shows
/// and bills; `ModelInfoEnrichment` says, per price, which layer it came from.
public struct CostMap: Sendable, Hashable {
    /// The map as loaded, by key.
    public var entries: [String: [String: JSONValue]]
    /// The operator's overrides, by cost-map key.
    public var overrides: [String: PriceOverride]

    public init(entries: [String: [String: JSONValue]] = [:], overrides: [String: PriceOverride] = [:]) {
        self.entries = entries
        self.overrides = overrides
    }

    /// The entry for `key`, its override's prices over the map's (an override of a key the map
    /// lacks is an entry of its prices alone).
    public subscript(key: String) -> [String: JSONValue]? {
        guard let override = overrides[key] else { return entries[key] }
        return (entries[key] ?? [:]).merging(override.prices) { _, overridden in overridden }
    }

    /// Every key's merged entry: the map as gateways are told it.
    public var merged: [String: [String: JSONValue]] {
        guard !overrides.isEmpty else { return entries }
        var all = entries
        for key in overrides.keys { all[key] = self[key] }
        return all
    }

    public var count: Int { entries.count }
}

extension Deployment {
    /// LiteLLM's `model_info.access_groups`: the access groups this deployment is in (strings only,
    /// in the order given). A key or team whose `models` names one of them may use it.
    public var accessGroups: [String] {
        guard let value = modelInfo["access_groups"] else { return [] }
        return (value.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// LiteLLM's `model_info.blocked`: a blocked (paused) deployment stays in `/model/info` and
    /// is left out of `/v1/models` and `/model_group/info`.
    public var isBlocked: Bool { modelInfo["blocked"]?.boolValue == true }

    /// Whether the deployment is a wildcard route (`model_name` such as `anthropic/*`).
    public var isWildcardRoute: Bool { modelName.utf8.contains(UInt8(ascii: "*")) }
}
