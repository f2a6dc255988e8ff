import Catalog
import CatalogStore
import Hummingbird

/// POST /model/batch: creates, updates and deletes of models, applied all or nothing in one
/// transaction, so they take one contiguous run of seqs and every replica applies them together.
/// Each operation is exactly the write of its own endpoint (`ModelWrites`), with its own optional
/// `if_match`; the first one refused refuses the batch, naming it (`operations[i]`).
struct ModelBatchController: Sendable {
    /// Enough for any edit a person or a plan makes; a larger change is several batches.
    static let maxOperations = 1000

    let models: ModelRepository
    let reader: any CatalogReading
    let quota: ModelQuota
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/model/batch", use: batch)
    }

    /// One operation, checked as far as it can be before the transaction.
    enum Operation: Sendable {
        case create(Deployment)
        case update(id: String, body: JSONValue, expected: VersionPrecondition?)
        case delete(id: String, expected: VersionPrecondition?)
    }

    /// What an operation did.
    enum Outcome: Sendable {
        case written(op: String, Deployment)
        case deleted(Deployment)
    }

    @Sendable func batch(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try RequestFields(try await RequestJSON.read(request))
        guard case .array(let items)? = body.members["operations"], !items.isEmpty else {
            throw CatalogError.invalid(field: "operations", message: "operations must be a non-empty list of {\"op\": \"create\"|\"update\"|\"delete\", …}")
        }
        guard items.count <= Self.maxOperations else {
            throw CatalogError.invalid(field: "operations", message: "a batch holds at most \(Self.maxOperations) operations, not \(items.count): send several batches")
        }
        let operations = try items.enumerated().map { index, item in
            do { return try Self.operation(item, by: principal) } catch let error as CatalogError { throw error.within("operations[\(index)]") }
        }
        let outcomes = try await models.batch(actor: principal.actor, quota: quota.enforcement(for: principal)) { batch in
            try operations.enumerated().map { (index, operation) throws -> Outcome in
                do {
                    switch operation {
                    case .create(let deployment):
                        return .written(op: "create", try batch.insert(deployment))
                    case .update(let id, let body, let expected):
                        return .written(op: "update", try batch.update(id: id) { current in
                            try ModelWrites.changed(current, with: body, by: principal, expected: expected, allowRemovals: true, in: batch)
                        })
                    case .delete(let id, let expected):
                        return .deleted(try batch.delete(id: id) { current in
                            try ModelWrites.authorizeDelete(of: current, by: principal, expected: expected)
                        })
                    }
                } catch let error as CatalogError {
                    throw error.within("operations[\(index)]")
                }
            }
        }
        let written = outcomes.compactMap { if case .written(_, let deployment) = $0 { deployment } else { nil } }
        await afterWrite(.models(outcomes.map {
            switch $0 {
            case .written(_, let deployment), .deleted(let deployment): deployment.id
            }
        }))
        let costMap = try await reader.costMap(for: written)
        return JSONBody.response(["results": .array(outcomes.map { outcome in
            switch outcome {
            case .written(let op, let deployment):
                return [
                    "op": .string(op), "id": .string(deployment.id), "version": .int(deployment.version),
                    "etag": .string(VersionPrecondition.tag(version: deployment.version)),
                    "model": DeploymentView.json(deployment, costMap: costMap),
                ]
            case .deleted(let deployment):
                return ["op": "delete", "id": .string(deployment.id), "version": .int(deployment.version), "etag": .null, "model": .null]
            }
        })])
    }

    /// `{"op": "create", "model": <a /model/new body>}`, `{"op": "update", "id", "model": <a PATCH
    /// /model/{id}/update body>, "if_match"?}` or `{"op": "delete", "id", "if_match"?}`.
    static func operation(_ item: JSONValue, by principal: Principal) throws -> Operation {
        let fields = try RequestFields(item)
        let known: Set<String> = ["op", "id", "model", "if_match"]
        if let unknown = fields.members.keys.sorted().first(where: { !known.contains($0) }) {
            throw CatalogError.invalid(field: unknown, message: "an operation has op, id, model and if_match; '\(unknown)' is not one of them")
        }
        let expected = try VersionPrecondition(header: try fields.string("if_match"))
        func id() throws -> String {
            guard let id = try fields.string("id"), !id.isEmpty else { throw CatalogError.invalid(field: "id", message: "id is required") }
            return id
        }
        func model() throws -> JSONValue {
            guard let model = fields.members["model"], !model.isNull else {
                throw CatalogError.invalid(field: "model", message: "model is required: the body its own endpoint takes")
            }
            return model
        }
        switch try fields.string("op") {
        case "create":
            if expected != nil { throw CatalogError.invalid(field: "if_match", message: "a create has no current version to match") }
            return .create(try ModelWrites.created(from: try model(), by: principal))
        case "update":
            return .update(id: try id(), body: try model(), expected: expected)
        case "delete":
            return .delete(id: try id(), expected: expected)
        default:
            throw CatalogError.invalid(field: "op", message: "op must be create, update or delete")
        }
    }
}
