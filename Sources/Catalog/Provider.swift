/// Who serves a deployment, as `/v1/models` `owned_by` and model groups' `providers` say it.
public enum Provider {
    /// The `litellm_params.model` prefix before the first `/` (`azure`, `anthropic`, `bedrock`,
    /// `vertex_ai`, …), which is how LiteLLM routes; else the cost-map entry's `litellm_provider`
    /// (a bare `gpt-4o`); else `openai`, LiteLLM's default for an unknown bare model.
    ///
    /// LiteLLM's `/v1/models` says `owned_by: "openai"` for everything; we say the real provider.
    public static func of(_ deployment: Deployment, costEntry: [String: JSONValue]?) -> String {
        let model = deployment.litellmModel
        if let slash = model.firstIndex(of: "/"), slash != model.startIndex {
            return String(model[..<slash])
        }
        if let provider = costEntry?["litellm_provider"]?.stringValue, !provider.isEmpty {
            return provider
        }
        return "openai"
    }
}
