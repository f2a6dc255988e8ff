/// Restoring a model to a state its history holds (`POST /model/restore`, `model-catalog models
/// restore`): who may, and what the model becomes. One rule for the API and the shell.
///
/// A restore is a write like any other: a new change in the log, a new version, the acting key in
/// history. It is allowed to whom may read that state of the model in its history and may then
/// write it: change the model as it is now (or create it, when it was deleted), under the name and
/// team the state had.
///
/// History never holds a secret: the state shows the redaction placeholder where the model had a
/// literal secret. Restored, such a placeholder keeps the secret the model has now at that path
/// (the store's `SecretSplit` rule); where the model has none (it was deleted, or that secret
/// removed since), the restore is refused (400 naming the field) unless the request gives a new
/// value for it in `litellm_params`.
public enum ModelRestore {
    /// The words for a version the caller cannot restore: absent from history, or not the
    /// caller's to see. The same words for both, so that a restore reveals nothing a read does not.
    public static func missing(_ id: String, version: Int) -> CatalogError {
        .notFound(message: "model '\(id)' has no version \(version) in its history (GET /model/history?model_id= lists them)")
    }

    /// The model as it will be once `principal` restores `earlier` (a state from history) over
    /// `current` (nil: the model is deleted now). `params`: `litellm_params` the request gives over
    /// the state's (a secret history does not keep, say).
    public static func restored(_ earlier: Deployment, version: Int, over current: Deployment?, by principal: Principal,
                                params: [String: JSONValue] = [:]) throws -> Deployment {
        guard AccessPolicy.readsHistoryEntry(states: [earlier], by: principal) else { throw missing(earlier.id, version: version) }
        if let current { try AccessPolicy.authorizeChange(of: current, by: principal) }
        var restored = current ?? earlier
        restored.modelName = earlier.modelName
        restored.litellmParams = earlier.litellmParams.merging(params) { _, given in given }
        restored.modelInfo = earlier.modelInfo
        restored.modelInfo["id"] = .string(earlier.id)
        for key in ModelInfoEnrichment.shownOnly { restored.modelInfo[key] = nil }
        restored.assign(to: try AccessPolicy.tenant(
            forModel: earlier.id, named: earlier.modelName, by: principal, requested: earlier.tenantID,
            chosenID: current == nil, accessGroups: restored.accessGroups))
        return restored
    }
}
