import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// POST /config/plan and /config/apply: an import of a LiteLLM config, reviewed before it is
/// made. The plan is `import-config --dry-run`'s diff, kept (secrets sealed) so that apply writes
/// exactly it, in one transaction, or refuses (409) when a model it names changed meanwhile.
/// Admins only: a config places models in any team.
struct ConfigController: Sendable {
    let loader: ConfigModelLoader
    let afterWrite: @Sendable (WriteEffect) async -> Void

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.post("/config/plan", use: plan)
        group.post("/config/apply", use: apply)
    }

    /// The body is the config file's text (YAML, as `config.yaml`); its `model_list` is planned.
    @Sendable func plan(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.authorize(principal, .change, .config)
        let buffer = try await RequestJSON.bytes(request)
        guard buffer.readableBytes > 0, let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw CatalogError.invalid(field: nil, message: "the request body must be a LiteLLM config file (YAML, UTF-8) with a model_list")
        }
        let plan = try await Self.refusingConfigErrors {
            try await loader.plan(try LiteLLMConfig.parse(text, file: "request body").models, file: "request body",
                                  keep: true, actor: principal.actor)
        }
        return JSONBody.response(plan.json)
    }

    /// `{"plan_id"}`: applies that plan; answers what it did.
    @Sendable func apply(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.authorize(principal, .change, .config)
        let body = try RequestFields(try await RequestJSON.read(request))
        guard let text = try body.string("plan_id"), let id = UUID(uuidString: text) else {
            throw CatalogError.invalid(field: "plan_id", message: "plan_id is required: the plan_id POST /config/plan answered")
        }
        let (outcome, ids) = try await Self.refusingConfigErrors { try await loader.apply(planID: id, actor: principal.actor) }
        await afterWrite(.models(ids))
        return JSONBody.response([
            "plan_id": .string(id.uuidString.lowercased()),
            "applied": [
                "added": .int(outcome.inserted), "changed": .int(outcome.updated),
                "kept_deleted": .int(outcome.keptDeleted), "unchanged": .int(outcome.unchanged),
            ],
        ])
    }

    /// A config's own error (file, line, field) is the caller's: a 400 naming the field.
    static func refusingConfigErrors<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let error as ConfigError {
            throw CatalogError.invalid(field: error.field, message: error.description)
        }
    }
}
