/// A router alias: LiteLLM's `router_settings.model_group_alias` entry, `alias → model group`
/// (`"fast": "gpt-4o-mini"`, or `"fast": {"model": "gpt-4o-mini", "hidden": true}`).
///
/// Stored in PostgreSQL (`model_group_aliases`), so every replica lists the same aliases and they
/// survive restarts. An alias names a model group, never a deployment: each caller sees it resolve
/// to that group as the caller sees it (`ModelListing`), so an alias reveals no model the caller
/// may not see. A hidden alias is neither listed nor retrieved (LiteLLM: it only routes).
public struct ModelGroupAlias: Sendable, Hashable {
    public var alias: String
    public var modelGroup: String
    public var hidden: Bool

    public init(alias: String, modelGroup: String, hidden: Bool = false) {
        self.alias = alias
        self.modelGroup = modelGroup
        self.hidden = hidden
    }
}
