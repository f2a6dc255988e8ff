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

    /// The first credential that is not empty: an empty `Authorization` (or a bare "Bearer")
    /// presents nothing, so it does not hide a key sent in `x-litellm-api-key`.
    static func presentedKey(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let key = bearerKey(trimmingSpaces(Substring(header)))
            if !key.isEmpty { return String(key) }
        }
        if let field = request.headers.first(where: { $0.name.canonicalName == "x-litellm-api-key" }) {
            let key = bearerKey(trimmingSpaces(Substring(field.value)))
            if !key.isEmpty { return String(key) }
        }
        return nil
    }

    /// "Bearer" in any case, then spaces, then the key; anything else is taken as the key itself.
    static func bearerKey(_ trimmed: Substring) -> Substring {
        let utf8 = trimmed.utf8
        guard utf8.count >= 6, utf8.prefix(6).map({ $0 | 0x20 }).elementsEqual("bearer".utf8) else { return trimmed }
        if utf8.count == 6 { return "" }
        guard utf8.dropFirst(6).first == UInt8(ascii: " ") || utf8.dropFirst(6).first == UInt8(ascii: "\t") else { return trimmed }
        return trimmingSpaces(trimmed.dropFirst(7))
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
