import Hummingbird
import NIOConcurrencyHelpers

/// The methods each route answers, so that a request for a known path with another method gets
/// 405 and an `Allow` header (as LiteLLM's FastAPI answers) rather than Hummingbird's 404.
final class RouteMethods: Sendable {
    private struct Route: Sendable {
        var components: [RouterPath.Element]
        var method: HTTPRequest.Method
    }

    private let routes = NIOLockedValueBox<[Route]>([])

    /// Takes the router's routes; called once every route is registered.
    func load(from router: Router<CatalogRequestContext>) {
        let described = router.routes.map { Route(components: $0.path.components, method: $0.method) }
        routes.withLockedValue { $0 = described }
    }

    /// The methods that some route answers for `path`, sorted; empty when no route has the path.
    func allowed(path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLockedValue { routes in
            routes.filter { Self.matches($0.components, segments) }.map(\.method)
        }
        return Set(methods).sorted { $0.rawValue < $1.rawValue }
    }

    private static func matches(_ components: [RouterPath.Element], _ segments: [Substring]) -> Bool {
        for (index, component) in components.enumerated() {
            // `**` takes whatever is left (at least one segment, as the router requires).
            if component.description == "**" { return segments.count > index }
            guard index < segments.count, component ~= segments[index] else { return false }
        }
        return components.count == segments.count
    }
}
