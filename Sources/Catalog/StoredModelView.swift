/// A model as stored, not enriched (`/model/history`'s states, an import plan's sides): its name,
/// team, version and documents through the redaction rule. What `HistoryDiff` compares.
public enum StoredModelView {
    public static func json(_ deployment: Deployment) -> JSONValue {
        [
            "model_name": .string(deployment.modelName),
            "litellm_params": .object(Redaction.redact(deployment.litellmParams)),
            "model_info": .object(Redaction.redact(deployment.modelInfo, document: .modelInfo)),
            "team_id": deployment.tenantID.map(JSONValue.string) ?? .null,
            "version": .int(deployment.version),
        ]
    }

    /// The differences between two states, field by field, leaving out the version (which every
    /// change moves) and `model_info.id` (which never changes).
    public static func diff(from before: Deployment?, to after: Deployment?) -> [JSONValue] {
        func compared(_ deployment: Deployment) -> JSONValue {
            guard case .object(var members) = json(deployment) else { return .null }
            members["version"] = nil
            return .object(members)
        }
        return HistoryDiff.changes(from: before.map(compared), to: after.map(compared))
    }
}
