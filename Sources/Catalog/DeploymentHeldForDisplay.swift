extension Deployment {
    /// The deployment as a replica's snapshot holds it: `litellm_params` and `model_info` as they
    /// may be shown (`Redaction`), each array or object member written once (`EncodedJSON`).
    ///
    /// Snapshots only answer reads, and every read shows documents through `Redaction`, which shows
    /// a shown document unchanged: so views give the same bytes for this form as for the stored
    /// deployment, at about one byte of memory per byte of JSON rather than eighteen, and without
    /// redacting or encoding nested values on every request. Writes never start from it: they read
    /// the row they change.
    public var heldForDisplay: Deployment {
        var held = self
        held.litellmParams = Self.compacted(Redaction.redact(litellmParams, document: .litellmParams))
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
