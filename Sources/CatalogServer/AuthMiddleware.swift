import Catalog
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
            let trimmed = trimmingSpaces(Substring(header))
            // "Bearer" in any case, then spaces; anything else is taken as the key itself.
            if trimmed.utf8.count > 7, trimmed.utf8.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8),
               trimmed.utf8.dropFirst(6).first == UInt8(ascii: " ") {
                return String(trimmingSpaces(trimmed.dropFirst(7)))
            }
            return String(trimmed)
        }
        if let field = request.headers.first(where: { $0.name.canonicalName == "x-litellm-api-key" }) {
            return String(trimmingSpaces(Substring(field.value)))
        }
        return nil
    }

    /// Spaces and tabs off both ends, without Foundation's character sets (this runs on every
    /// authenticated request).
    static func trimmingSpaces(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return text[first...last]
    }
}
