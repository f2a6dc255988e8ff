import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// GET /model/history?model_id=: who changed a model, how, and what it looked like before and
/// after (litellm_params and model_info through the redaction rule), with the fields that changed,
/// newest first. Each entry is shown only to whom the policy lets see every state it holds: an id
/// reused by another team, or a model moved between teams, shows each caller only the entries of
/// the model while it was theirs to see.
///
/// POST /model/restore: a state from that history, written back as a new change (`ModelRestore`).
struct HistoryController: Sendable {
    let history: HistoryRepository
    let models: ModelRepository
    let reader: any CatalogReading
    let quota: ModelQuota
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/model/history", use: modelHistory)
        group.post("/model/restore", use: restore)
    }

    @Sendable func modelHistory(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard let id = request.uri.queryParameters["model_id"].map(String.init), !id.isEmpty else {
            throw CatalogError.invalid(field: "model_id", message: "the query parameter model_id is required")
        }
        // Entry by entry: the tenant (and name) a model had is in each logged row, and an id is
        // not one model for ever. A caller who may see none of them is told the model does not
        // exist, exactly as for a model that never did.
        let changes = try await history.history(modelID: id).filter { change in
            AccessPolicy.readsHistoryEntry(states: [change.before, change.after].compactMap { $0 }, by: principal)
        }
        guard !changes.isEmpty else { throw CatalogError.notFound(message: "model '\(id)' not found") }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return JSONBody.response(["data": .array(changes.map { change in
            return [
                "seq": .int(Int(change.seq)), "op": .string(change.op), "changed_at": .string(formatter.string(from: change.at)),
                "changed_by": change.actor.map(JSONValue.string) ?? .null,
                "version": (change.after ?? change.before).map { .int($0.version) } ?? .null,
                "before": change.before.map(StoredModelView.json) ?? .null, "after": change.after.map(StoredModelView.json) ?? .null,
                "diff": .array(StoredModelView.diff(from: change.before, to: change.after)),
            ]
        })])
    }

    /// `{"model_id", "version", "litellm_params"?}`: the model as history holds it at `version`
    /// becomes its current state. `litellm_params` gives values for secrets history does not keep.
    /// Answers the restored model as /model/update does, with its new ETag.
    @Sendable func restore(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let id = try body.string("model_id"), !id.isEmpty else {
            throw CatalogError.invalid(field: "model_id", message: "model_id is required")
        }
        guard let version = try body.int("version"), version >= 1 else {
            throw CatalogError.invalid(field: "version", message: "version is required: a version of the model from GET /model/history (1 or more)")
        }
        let params = try body.members["litellm_params"].flatMap { $0.isNull ? nil : try ModelInput.partialParams($0) } ?? [:]
        let restored = try await models.restore(id: id, version: version, actor: principal.actor,
                                                quota: quota.enforcement(for: principal)) { earlier, current in
            let restored = try ModelRestore.restored(earlier, version: version, over: current, by: principal, params: params)
            if let expected {
                // If-Match on a deleted model: no current version can match but `*`, which means
                // "only if it exists" (RFC 9110), and it does not.
                guard let current else {
                    throw CatalogError.preconditionFailed(message: "model '\(id)' does not exist now, so If-Match cannot hold: restore it without If-Match", etag: nil)
                }
                try expected.check(version: current.version, of: "model '\(id)'")
            }
            return restored
        }
        await afterWrite(.models([restored.id]))
        let costMap = try await reader.costMap(for: [restored])
        return EntityTags.tagged(JSONBody.response(DeploymentView.json(restored, costMap: costMap)), version: restored.version)
    }
}
