import Catalog
import CatalogStore

/// What each model write does to the model, under the policy: one rule per write, shared by its
/// own endpoint (/model/new, /model/update, PATCH /model/{id}/update, /model/delete) and by
/// /model/batch, so that a write means the same thing alone or in a batch.
enum ModelWrites {
    /// The new deployment a /model/new body asks for, placed by the policy (checked before any
    /// transaction: it depends on nothing stored).
    static func created(from body: JSONValue, by principal: Principal) throws -> Deployment {
        var deployment = try ModelInput.newDeployment(from: body)
        deployment.assign(to: try AccessPolicy.tenant(
            forModel: deployment.id, named: deployment.modelName, by: principal,
            requested: try ModelInput.requestedTeam(deployment.modelInfo), chosenID: ModelInput.choosesID(body),
            accessGroups: deployment.accessGroups))
        return deployment
    }

    /// /model/update and PATCH /model/{id}/update: the model `current` (locked, in the write's
    /// transaction) with `body` merged in. A body that names `model_info.team_id` moves the model
    /// (null: to shared), under the policy; one that does not leaves it where it is. Either way the
    /// policy sees the model as it will be (its name, its team), so a change cannot take a model
    /// out of its caller's allow-list or its id's team. `expected` (If-Match) is compared after
    /// the policy, so a caller that may not change the model learns nothing of its version.
    /// Runs in `batch`, whose transaction holds the row: what a read shows of the model (its
    /// prices from the cost map) is read there too, so that echoes of it are not stored.
    static func changed(_ current: Deployment, with body: JSONValue, by principal: Principal,
                        expected: VersionPrecondition?, allowRemovals: Bool, in batch: ModelRepository.Batch) throws -> Deployment {
        try AccessPolicy.authorizeChange(of: current, by: principal)
        try expected?.check(version: current.version, of: "model '\(current.id)'")
        var updated = try ModelInput.update(current, with: body, allowRemovals: allowRemovals, shown: try batch.shown(current))
        let move = try ModelInput.teamMove(in: body)
        updated.assign(to: try AccessPolicy.tenant(forModel: current.id, named: updated.modelName, by: principal,
                                                   requested: move ?? current.tenantID, accessGroups: updated.accessGroups))
        return updated
    }

    /// /model/delete: throws unless `principal` may delete `current` at the version `expected` names.
    static func authorizeDelete(of current: Deployment, by principal: Principal, expected: VersionPrecondition?) throws {
        try AccessPolicy.authorizeChange(of: current, by: principal, .delete)
        try expected?.check(version: current.version, of: "model '\(current.id)'")
    }
}
