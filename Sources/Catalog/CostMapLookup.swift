/// Which cost-map entries describe a deployment, in the order LiteLLM tries them:
/// `model_info.base_model`, then `litellm_params.model`, then that model without its provider
/// prefix (`azure/gpt-4o` → `gpt-4o`).
public enum CostMapLookup {
    public static func candidateKeys(for deployment: Deployment) -> [String] {
        var keys: [String] = []
        if let base = deployment.modelInfo["base_model"]?.stringValue, !base.isEmpty { keys.append(base) }
        let model = deployment.litellmModel
        if !model.isEmpty { keys.append(model) }
        if let slash = model.firstIndex(of: "/") {
            let bare = String(model[model.index(after: slash)...])
            if !bare.isEmpty { keys.append(bare) }
        }
        var seen = Set<String>()
        return keys.filter { seen.insert($0).inserted }
    }
}
