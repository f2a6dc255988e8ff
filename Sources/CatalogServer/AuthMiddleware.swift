import Catalog
import Foundation
import Hummingbird

/// Authenticates every request of the routes it guards: `Authorization: Bearer <key>` or
/// LiteLLM's `x-litellm-api-key: <key>`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = CatalogRequestContext
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await authenticator.authenticate(presentedKey: Self.presentedKey(request))
        return try await next(request, context)
    }

    static func presentedKey(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let trimmed = header.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("bearer ") {
                return String(trimmed.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
            }
            return trimmed
        }
        if let field = request.headers.first(where: { $0.name.canonicalName == "x-litellm-api-key" }) {
            return field.value.trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
