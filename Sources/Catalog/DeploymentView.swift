/// A deployment as LiteLLM's `/model/info` shows it: `model_name`, redacted `litellm_params`,
/// enriched `model_info`. Every read that shows a deployment goes through here, so that
/// `litellm_params` is never shown without `Redaction`.
public enum DeploymentView {
    /// Router flags LiteLLM shows in `litellm_params` with their default when a deployment does not
    /// set them; shown the same way so that clients see the same keys.
    static let defaultFlags: [String: JSONValue] = [
        "allow_client_keepalive_override": false,
        "use_in_pass_through": false,
        "use_litellm_proxy": false,
        "use_xai_oauth": false,
        "merge_reasoning_content_in_choices": false,
    ]

    public static func json(_ deployment: Deployment, costMap: CostMap) -> JSONValue {
        let params = Redaction.redact(deployment.litellmParams).merging(defaultFlags) { configured, _ in configured }
        return [
            "model_name": .string(deployment.modelName),
            "litellm_params": .object(params),
            "model_info": .object(ModelInfoEnrichment.enrich(deployment, costMap: costMap)),
        ]
    }
}
