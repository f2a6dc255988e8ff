import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// GET /model/history?model_id=: who changed a model, how, and what it looked like before and
/// after (litellm_params and model_info through the redaction rule), newest first. Each entry is
/// shown only to whom the policy lets see every state it holds: an id reused by another team, or a
/// model moved between teams, shows each caller only the entries of the model while it was theirs
/// to see.
struct HistoryController: Sendable {
    let history: HistoryRepository

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/model/history", use: modelHistory)
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
            [
                "seq": .int(Int(change.seq)), "op": .string(change.op), "changed_at": .string(formatter.string(from: change.at)),
                "changed_by": change.actor.map(JSONValue.string) ?? .null,
                "before": change.before.map(Self.json) ?? .null, "after": change.after.map(Self.json) ?? .null,
            ]
        })])
    }

    static func json(_ deployment: Deployment) -> JSONValue {
        [
            "model_name": .string(deployment.modelName),
            "litellm_params": .object(Redaction.redact(deployment.litellmParams)),
            "model_info": .object(Redaction.redact(deployment.modelInfo, document: .modelInfo)),
            "team_id": deployment.tenantID.map(JSONValue.string) ?? .null,
            "version": .int(deployment.version),
        ]
    }
}
