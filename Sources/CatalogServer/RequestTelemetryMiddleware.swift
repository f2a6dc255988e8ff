import Hummingbird
import Logging

/// Per request: one log line (request id as hb.request.id, method, route, status, duration) and
/// the request metrics. Never the query string or a header in either: keys travel in both.
struct RequestTelemetryMiddleware: RouterMiddleware {
    typealias Context = CatalogRequestContext
    let metrics: CatalogMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - started
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = (Double(seconds) * 1000 + Double(attoseconds) / 1e15)
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)",
            // The matched route (e.g. /model/{id}/update), else the path: ids in paths are not secrets.
            "route": "\(context.endpointPath ?? request.uri.path)",
            "status": "\(response.status.code)",
            "duration_ms": "\((milliseconds * 1000).rounded() / 1000)",
        ])
        // Hummingbird names every unmatched path "NotFound": a scanner cannot grow the registry.
        metrics.recordRequest(method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                              status: response.status.code, duration: elapsed)
        return response
    }
}

