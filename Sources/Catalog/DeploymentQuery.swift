import Foundation

/// `/v2/model/info`'s narrowing and order, over the deployments a caller sees: a search, filters
/// by provider, mode and blocked state, and a sort. Filters and sort keys read each deployment as
/// `/model/info` shows it (`ModelInfoEnrichment.ShownLayers`), so a page filtered by provider lists
/// exactly the rows that show that provider.
///
/// LiteLLM's names where it has them (`search`, `blocked`, `sortBy` with `model_name`,
/// `created_at`, `updated_at`, `costs`, `status`, and `sortOrder`); `provider`, `mode` and the sort
/// keys `provider`, `team_id` and `context_window` are ours. Unlike LiteLLM, an unknown sort key or
/// order is refused rather than ignored.
public struct DeploymentQuery: Sendable, Hashable {
    /// What a page can be sorted by.
    public enum SortKey: String, Sendable, CaseIterable {
        case modelName = "model_name", createdAt = "created_at", updatedAt = "updated_at", costs, status
        case provider, team = "team_id", contextWindow = "context_window"
    }

    /// Keeps deployments whose `model_name` or `litellm_params.model` contains this, ignoring case.
    public var search: String?
    /// Keeps deployments whose shown `litellm_provider` is this (exactly, ignoring case).
    public var provider: String?
    /// Keeps deployments whose shown `mode` is this (`chat`, `embedding`, …).
    public var mode: String?
    /// Keeps only blocked (true) or only unblocked (false) deployments.
    public var blocked: Bool?
    public var sortBy: SortKey?
    public var descending = false

    /// The query parameters this reads (the response cache keys on them).
    public static let parameterNames = ["search", "provider", "mode", "blocked", "sortBy", "sortOrder"]

    public init() {}

    /// Reads the query parameters; a bad value is a 400 naming its parameter.
    public init(parameter: (String) -> String?) throws {
        search = parameter("search").flatMap { $0.isEmpty ? nil : $0 }
        provider = parameter("provider").flatMap { $0.isEmpty ? nil : $0 }
        mode = parameter("mode").flatMap { $0.isEmpty ? nil : $0 }
        if let text = parameter("blocked") {
            switch text.lowercased() {
            case "true": blocked = true
            case "false": blocked = false
            default: throw CatalogError.invalid(field: "blocked", message: "blocked must be true or false")
            }
        }
        if let text = parameter("sortBy"), !text.isEmpty {
            guard let key = SortKey(rawValue: text) else {
                let known = SortKey.allCases.map(\.rawValue).joined(separator: ", ")
                throw CatalogError.invalid(field: "sortBy", message: "sortBy must be one of \(known)")
            }
            sortBy = key
        }
        if let text = parameter("sortOrder") {
            switch text.lowercased() {
            case "asc": descending = false
            case "desc": descending = true
            default: throw CatalogError.invalid(field: "sortOrder", message: "sortOrder must be asc or desc")
            }
        }
    }

    /// Whether the query needs each deployment's shown values (a cost-map lookup per deployment).
    var readsShownValues: Bool {
        provider != nil || mode != nil || [.costs, .provider, .contextWindow].contains(sortBy)
    }

    /// `deployments` narrowed and ordered. Ties keep their catalog order, so pages are stable.
    /// Whether the query keeps every deployment in catalog order (the models page's first request).
    public var narrowsNothing: Bool { search == nil && provider == nil && mode == nil && blocked == nil && sortBy == nil }

    public func apply(_ deployments: [Deployment], costMap: CostMap) -> [Deployment] {
        // The models page's first request narrows nothing: no copy of every deployment for it.
        if narrowsNothing { return deployments }
        var kept: [(deployment: Deployment, shown: ModelInfoEnrichment.ShownLayers?)] = []
        kept.reserveCapacity(deployments.count)
        // Lowercased once, and compared lowercased: Foundation's localized comparison goes through
        // ICU for every deployment, which at 100,000 costs most of a second.
        let needle = search?.lowercased()
        for deployment in deployments {
            if let needle, !deployment.modelName.lowercased().contains(needle),
               !deployment.litellmModel.lowercased().contains(needle) { continue }
            if let blocked, deployment.isBlocked != blocked { continue }
            let shown = readsShownValues ? ModelInfoEnrichment.ShownLayers(deployment, costMap: costMap) : nil
            if let provider, let shown, shown.provider.caseInsensitiveCompare(provider) != .orderedSame { continue }
            if let mode, let shown, shown.value("mode").stringValue?.caseInsensitiveCompare(mode) != .orderedSame { continue }
            kept.append((deployment, shown))
        }
        guard let sortBy else { return kept.map(\.deployment) }
        let keys = kept.map { Self.sortValue(sortBy, $0.deployment, $0.shown) }
        let order = keys.indices.sorted { left, right in
            switch Self.compare(keys[left], keys[right], descending: descending) {
            case .orderedAscending: return true
            case .orderedDescending: return false
            case .orderedSame: return left < right
            }
        }
        return order.map { kept[$0].deployment }
    }

    /// One deployment's sort value: text, a number, or nothing (sorted last either way, as LiteLLM
    /// puts a model without prices last).
    enum SortValue {
        case text(String), number(Double), none
    }

    static func sortValue(_ key: SortKey, _ deployment: Deployment, _ shown: ModelInfoEnrichment.ShownLayers?) -> SortValue {
        switch key {
        case .modelName: return .text(deployment.modelName.lowercased())
        case .createdAt: return deployment.createdAt.map { .number($0.timeIntervalSince1970) } ?? .none
        case .updatedAt: return deployment.updatedAt.map { .number($0.timeIntervalSince1970) } ?? .none
        case .status: return .number(deployment.source == .config ? 0 : 1)  // LiteLLM: config models first
        case .team: return deployment.tenantID.map { .text($0.lowercased()) } ?? .none
        case .provider: return shown.map { .text($0.provider.lowercased()) } ?? .none
        case .contextWindow: return shown?.value("max_input_tokens").doubleValue.map { .number($0) } ?? .none
        case .costs:
            let total = ["input_cost_per_token", "output_cost_per_token"]
                .compactMap { shown?.value($0).doubleValue }.reduce(0, +)
            return total > 0 ? .number(total) : .none
        }
    }

    static func compare(_ left: SortValue, _ right: SortValue, descending: Bool) -> ComparisonResult {
        // Values compare in the order asked; a missing one comes last whatever the order.
        func ordered<T: Comparable>(_ a: T, _ b: T) -> ComparisonResult {
            let (first, second) = descending ? (b, a) : (a, b)
            return first < second ? .orderedAscending : first > second ? .orderedDescending : .orderedSame
        }
        switch (left, right) {
        case (.none, .none): return .orderedSame
        case (.none, _): return .orderedDescending
        case (_, .none): return .orderedAscending
        case (.text(let a), .text(let b)): return ordered(a, b)
        case (.number(let a), .number(let b)): return ordered(a, b)
        default: return .orderedSame
        }
    }
}
