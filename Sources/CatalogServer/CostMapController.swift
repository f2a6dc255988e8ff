import AsyncHTTPClient
import Catalog
import CatalogStore
import Foundation
import Hummingbird
import NIOCore

/// The cost map: LiteLLM's public copy, one entry, and reloading it.
struct CostMapController: Sendable {
    let costs: CostMapRepository
    /// Where POST /reload/model_cost_map fetches from when the body names no URL; nil: the bundled copy.
    let defaultSource: String?
    let afterWrite: @Sendable (WriteEffect) async -> Void

    /// Public: LiteLLM serves it without a key too.
    func addPublicRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/public/litellm_model_cost_map") { _, _ -> Response in
            let document = try await costs.document()
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: document)))
        }
    }

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/utils/model_info", use: modelInfo)
        group.post("/reload/model_cost_map", use: reload)
    }

    @Sendable func modelInfo(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        try AccessPolicy.authorize(try context.requirePrincipal(), .read, .costMap)
        guard let model = request.uri.queryParameters["model"].map(String.init), !model.isEmpty else {
            throw CatalogError.invalid(field: "model", message: "the query parameter model is required")
        }
        let probe = Deployment(id: "", modelName: model, litellmParams: ["model": .string(model)])
        let costMap = try await costs.entries(for: CostMapLookup.candidateKeys(for: probe))
        guard let found = ModelInfoEnrichment.costEntry(for: probe, in: costMap) else {
            throw CatalogError.notFound(message: "model '\(model)' is not in the cost map")
        }
        var entry = found.entry
        entry["key"] = .string(found.key)
        return JSONBody.response(.object(entry))
    }

    @Sendable func reload(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try AccessPolicy.authorize(principal, .change, .costMap)
        var url = defaultSource
        var force = false
        if let body = try await RequestJSON.readOptional(request) {
            guard case .object(let members) = body else {
                throw CatalogError.invalid(field: nil, message: "the request body must be a JSON object")
            }
            if let value = members["url"], !value.isNull {
                guard let text = value.stringValue else { throw CatalogError.invalid(field: "url", message: "url must be a string") }
                url = text
            }
            if let value = members["force"], !value.isNull {
                guard let flag = value.boolValue else { throw CatalogError.invalid(field: "force", message: "force must be a boolean") }
                force = flag
            }
        }
        let document: CostMapDocument
        let source: String
        if let url {
            document = try await CostMapFetcher.fetch(url)
            source = url
        } else {
            document = try CostMapDocument.bundled()
            source = "bundled"
        }
        let count = try await costs.replace(with: document, force: force, actor: principal.actor)
        await afterWrite(.costMap)
        return JSONBody.response([
            "status": "success", "message": "Model cost map reloaded successfully",
            "entries": .int(count), "source": .string(source),
        ])
    }
}

/// Downloads a cost map over HTTP(S), with a size and time limit.
public enum CostMapFetcher {
    static let maxSize = 64 << 20

    public static func fetch(_ url: String) async throws -> CostMapDocument {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? "") else {
            throw CatalogError.invalid(field: "url", message: "url must be an http:// or https:// URL")
        }
        do {
            let request = HTTPClientRequest(url: url)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            guard response.status == .ok else {
                throw CatalogError.invalid(field: "url", message: "fetching the cost map answered HTTP \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: maxSize)
            return try CostMapDocument(data: Data(buffer: body))
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError.invalid(field: "url", message: "could not fetch the cost map from \(parsed.host ?? url)")
        }
    }
}
