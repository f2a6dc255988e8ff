extension Deployment {
    /// The deployment as a replica's snapshot holds it: `litellm_params` and `model_info` as they
    /// may be shown (`Redaction`), each array or object member written once (`EncodedJSON`).
    ///
    /// Snapshots only answer reads, and every read shows documents through `Redaction`, which shows
    /// a shown document unchanged: so views give the same bytes for this form as for the stored
    /// deployment, at about one byte of memory per byte of JSON rather than eighteen, and without
    /// redacting or encoding nested values on every request. Writes never start from it: they read
    /// the row they change.
    ///
    /// A top-level parameter the rule drops (`api_key`) is held as the placeholder, which the rule
    /// drops again when it is shown: so that a view can still say the secret is set
    /// (`model_info.secret_params`) without the value being in memory.
    public var heldForDisplay: Deployment {
        var held = self
        var params = Redaction.redact(litellmParams, document: .litellmParams)
        for name in litellmParams.keys where params[name] == nil { params[name] = .string(Redaction.placeholder) }
        held.litellmParams = Self.compacted(params)
        held.modelInfo = Self.compacted(Redaction.redact(modelInfo, document: .modelInfo))
        return held
    }

    private static func compacted(_ document: [String: JSONValue]) -> [String: JSONValue] {
        var held = document
        for (name, value) in document {
            switch value {
            case .array, .object: held[name] = .encoded(EncodedJSON(showing: value))
            default: continue
            }
        }
        return held
    }
}
