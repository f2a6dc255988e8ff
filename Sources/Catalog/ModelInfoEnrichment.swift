/// The `model_info` LiteLLM shows for a deployment: what the user gave, completed from the cost map.
public enum ModelInfoEnrichment {
    /// Keys present in every enriched `model_info`, whatever the schema holds, because our own
    /// views (groups, `/v1/models`) and clients read them.
    public static let coreKeys: [String] = [
        "max_tokens", "max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
        "litellm_provider", "mode", "supports_function_calling", "supports_vision",
    ]

    /// The deployment's `model_info` as shown, in order of precedence:
    /// 1. its own `model_info` (non-null values; a null counts as unknown and is filled), through
    ///    the redaction rule (stored rows hold no secret, rows written with SQL may);
    /// 2. prices set in `litellm_params` (every non-null key containing `cost`), which are what the gateway
    ///    bills, so they hide the cost map's; their names, sorted, are `pricing_overrides`;
    /// 3. the cost-map entry `costEntry(for:in:)` finds (`key` names it, null when none), for the
    ///    `ModelInfoSchema` keys only — LiteLLM shows no other cost-map field in `model_info`;
    /// 4. null for every other `ModelInfoSchema` and `coreKeys` key.
    ///
    /// `id`, `db_model` (whether it lives in the database rather than a config file), `catalog_source`
    /// (where it came from: `config`, `api` or `sql`), `team_id` (the
    /// owning tenant, absent for a shared model), `key`, `pricing_overrides` and `version` (the
    /// stored version, which an If-Match names; LiteLLM has none) are ours to say and cannot be
    /// overridden. So are `price_provenance` (each shown price's layer: `deployment` for the
    /// model's own, `override` for the operator's `PriceOverride`, `cost_map` for the map's) and
    /// `pricing_drift` (a shown override whose upstream price changed since it was set). `tpm`/`rpm` are not copied from `litellm_params`: LiteLLM
    /// shows them there, and here only what the cost map says.
    public static func enrich(_ deployment: Deployment, costMap: CostMap) -> [String: JSONValue] {
        enrich(deployment, costMap: costMap, layers: ShownLayers(deployment, costMap: costMap))
    }

    /// `enrich` with the deployment's layers already found.
    static func enrich(_ deployment: Deployment, costMap: CostMap, layers: ShownLayers) -> [String: JSONValue] {
        let found = layers.found
        let overrides = deployment.litellmParams.filter { isPriceKey($0.key) && !$0.value.isNull }.keys.sorted()
        var info = [String: JSONValue](minimumCapacity: mapKeyList.count + overrides.count + 8)
        for (key, isPrice) in mapKeyList { info[key] = layers.value(key, isPrice: isPrice, fromMap: true) }
        for key in overrides where info[key] == nil { info[key] = layers.value(key, isPrice: true, fromMap: false) }
        // A key of the model's own that is null and that no layer fills is not shown.
        for key in layers.own.keys where info[key] == nil {
            let value = layers.value(key)
            if !value.isNull { info[key] = value }
        }
        info["litellm_provider"] = .string(layers.provider)
        // We have no auto-router deployments; LiteLLM says false rather than null.
        if info["member_auto_router"]?.isNull != false { info["member_auto_router"] = false }
        // LiteLLM computes supported_openai_params from each provider's code; we have no such
        // knowledge and a guessed list would mislead clients, so it stays null unless configured.

        info["id"] = .string(deployment.id)
        info["db_model"] = .bool(deployment.source != .config)
        info["catalog_source"] = .string(deployment.source.rawValue)
        info["team_id"] = deployment.tenantID.map(JSONValue.string)
        info["key"] = found.map { .string($0.key) } ?? .null
        info["version"] = .int(deployment.version)
        info["pricing_overrides"] = .array(overrides.map { .string($0) })
        let override = found.flatMap { costMap.overrides[$0.key] }
        var provenance: [String: JSONValue] = [:]
        // Only the keys a price can stand at: the schema's price keys, and the deployment's own
        // (a read enriches every visible deployment, so no scan of every key).
        let own = overrides + deployment.modelInfo.keys.filter { isPriceKey($0) && !schemaPriceKeySet.contains($0) }
        for key in schemaPriceKeys + own {
            guard let value = info[key], !value.isNull, provenance[key] == nil else { continue }
            if deployment.modelInfo[key].map({ !$0.isNull }) == true || overrides.contains(key) {
                provenance[key] = "deployment"
            } else if override?.prices[key] != nil {
                provenance[key] = "override"
            } else {
                provenance[key] = "cost_map"
            }
        }
        info["price_provenance"] = .object(provenance)
        // An override whose upstream moved since it was set, where it is what this model shows.
        let drifted = override.map { $0.drift(from: found.flatMap { costMap.entries[$0.key] }) } ?? []
        info["pricing_drift"] = .bool(drifted.contains { provenance[$0] == "override" })
        return info
    }

    /// The keys `model_info` shows from the cost map (null when the map has none).
    static let mapKeys: Set<String> = Set(ModelInfoSchema.keys + coreKeys)
    /// The same keys in order, each with whether it is a price: what every view walks, so that
    /// neither is worked out again for every deployment.
    static let mapKeyList: [(key: String, isPrice: Bool)] = {
        var seen = Set<String>()
        return (ModelInfoSchema.keys + coreKeys).filter { seen.insert($0).inserted }.map { ($0, isPriceKey($0)) }
    }()

    /// Where each shown `model_info` value comes from, for one deployment: the precedence of
    /// `enrich`, key by key, so that a listing that sorts or filters by a shown value (a price, the
    /// provider, the mode) reads it exactly as `/model/info` shows it, without building the whole
    /// view.
    public struct ShownLayers: Sendable {
        /// The deployment's own `model_info`, through the redaction rule.
        public let own: [String: JSONValue]
        let deployment: Deployment
        /// The cost-map entry (`costEntry(for:in:)`) and its key.
        public let found: (key: String, entry: [String: JSONValue])?

        public init(_ deployment: Deployment, costMap: CostMap) {
            self.deployment = deployment
            self.own = Redaction.redact(deployment.modelInfo, document: .modelInfo)
            self.found = ModelInfoEnrichment.costEntry(for: deployment, in: costMap)
        }

        /// The value shown for `key`: the model's own (non-null), else a price set in
        /// `litellm_params`, else the cost map's for the keys shown from it, else null.
        public func value(_ key: String) -> JSONValue {
            value(key, isPrice: isPriceKey(key), fromMap: mapKeys.contains(key))
        }

        /// `value(_:)` for a key whose kind the caller already knows.
        func value(_ key: String, isPrice: Bool, fromMap: Bool) -> JSONValue {
            if !own.isEmpty, let value = own[key], !value.isNull { return value }
            if isPrice, let value = deployment.litellmParams[key], !value.isNull { return value }
            if fromMap, let value = found?.entry[key] { return value }
            return .null
        }

        /// The provider shown: the model's own `litellm_provider`, else `Provider.of`.
        public var provider: String {
            value("litellm_provider").stringValue ?? Provider.of(deployment, costEntry: found?.entry)
        }
    }

    /// The cost-map entry describing a deployment, and its key: the first of
    /// `CostMapLookup.candidateKeys` the map has (`model_info.base_model`, `litellm_params.model`,
    /// that model without its provider prefix), so that what the store loads and what we look up
    /// agree. `sample_spec` (the map's documentation entry) never matches. Negative prices in the map
    /// mean unknown and come back as null.
    public static func costEntry(
        for deployment: Deployment, in costMap: CostMap
    ) -> (key: String, entry: [String: JSONValue])? {
        for name in CostMapLookup.candidateKeys(for: deployment) where name != "sample_spec" {
            if let entry = costMap[name] { return (name, sanitized(entry)) }
        }
        return nil
    }

    /// Whether a `litellm_params` or cost-map key is a price.
    public static func isPriceKey(_ name: String) -> Bool {
        // On the bytes: Foundation's `contains` is a locale-aware search, and this runs for every
        // key of the cost-map entry of every deployment a listing shows (most of a cold
        // `/v1/models`).
        let bytes = name.utf8
        guard bytes.count >= 4 else { return false }
        var previous: (UInt8, UInt8, UInt8) = (0, 0, 0)
        for byte in bytes {
            if previous == (UInt8(ascii: "c"), UInt8(ascii: "o"), UInt8(ascii: "s")) && byte == UInt8(ascii: "t") { return true }
            previous = (previous.1, previous.2, byte)
        }
        return false
    }

    /// The price keys every enriched `model_info` has (the schema's and the core ones).
    static let schemaPriceKeys: [String] = {
        var seen = Set<String>()
        return (ModelInfoSchema.keys + coreKeys).filter { isPriceKey($0) && seen.insert($0).inserted }
    }()
    static let schemaPriceKeySet = Set(schemaPriceKeys)

    /// `model_info` keys the enrichment always says itself: a body that echoes a read's
    /// `model_info` does not store them.
    public static let shownOnly: Set<String> = [
        "db_model", "catalog_source", "key", "pricing_overrides", "version", "price_provenance", "pricing_drift", "secret_params",
    ]

    private static func sanitized(_ entry: [String: JSONValue]) -> [String: JSONValue] {
        var clean = entry
        for (key, value) in entry where isPriceKey(key) {
            if let number = value.doubleValue, number < 0 { clean[key] = .null }
        }
        return clean
    }
}
