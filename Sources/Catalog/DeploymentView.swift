/// A deployment as LiteLLM's `/model/info` shows it: `model_name`, redacted `litellm_params`,
/// enriched `model_info`. Every read that shows a deployment goes through here, so that
/// `litellm_params` is never shown without `Redaction`. `model_info.secret_params` names the
/// parameters it hides.
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
        let redacted = Redaction.redact(deployment.litellmParams)
        var info = ModelInfoEnrichment.enrich(deployment, costMap: costMap)
        // The names of the parameters whose values are hidden (dropped or masked), so that a form
        // can say "set" for a secret it never receives; a name is not a secret.
        // A value is hidden when redaction drops it or changes it, or when it is masked already
        // (the snapshot holds sealed values as the placeholder).
        let hidden = deployment.litellmParams.compactMap { name, value in
            redacted[name].map { $0.sameValue(as: value) && !masks($0) } == true ? nil : name
        }
        info["secret_params"] = .array(hidden.sorted().map { .string($0) })
        return [
            "model_name": .string(deployment.modelName),
            "litellm_params": .object(redacted.merging(defaultFlags) { configured, _ in configured }),
            "model_info": .object(info),
        ]
    }

    /// `json`, written out once (`JSONValue.encoded`): what a read keeps to show the deployment
    /// again without enriching and encoding it again (the server's `RenderedViews`).
    public static func rendered(_ deployment: Deployment, costMap: CostMap) -> JSONValue {
        .encoded(EncodedJSON(view: json(deployment, costMap: costMap)))
    }

    /// Whether `value` holds the redaction placeholder anywhere. A held (encoded) value is searched
    /// in its bytes for the placeholder as a JSON string, rather than decoded on every read.
    static func masks(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text == Redaction.placeholder
        case .array(let items): return items.contains(where: masks)
        case .object(let members): return members.values.contains(where: masks)
        case .encoded(let encoded): return contains(encoded.bytes, quotedPlaceholder)
        default: return false
        }
    }

    static let quotedPlaceholder = Array("\"\(Redaction.placeholder)\"".utf8)

    private static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == needle[0] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
