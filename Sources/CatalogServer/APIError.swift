import Catalog
import Hummingbird
import Logging

/// The one place where errors become HTTP responses, in LiteLLM's shape:
/// `{"error":{"message","type","param","code"}}`.
///
/// Domain errors map by case (the store has already mapped database failures to them, by
/// SQLSTATE, in `StoreErrors`), Hummingbird's own errors keep their status. Anything else is a
/// bug: 500 with a generic message, the detail only in the log.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?
    /// The current entity tag, for a 412: the caller can read again knowing what it will get.
    var etag: String? = nil

    var body: JSONValue {
        ["error": [
            "message": .string(message), "type": .string(type),
            "param": param.map(JSONValue.string) ?? .null,
            "code": .string(code ?? String(status.code)),
        ]]
    }

    var response: Response {
        var response = JSONBody.response(body, status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        if let etag { response.headers[.eTag] = etag }
        return response
    }

    /// Maps any error; `logger` receives the cause of a 5xx.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as CatalogError:
            if case .internal(let message) = error {
                logger.error("internal error", metadata: ["error": "\(message)"])
            }
            return from(error)
        case let error as HTTPError:
            let message = error.body ?? (error.status == .notFound ? "not found" : error.status.reasonPhrase)
            return APIError(status: error.status, message: message, type: Self.type(for: error.status), param: nil, code: nil)
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: Swift.type(of: error)))"])
            return APIError(status: .internalServerError, message: "internal error", type: "internal_server_error", param: nil, code: nil)
        }
    }

    static func from(_ error: CatalogError) -> APIError {
        switch error {
        case .invalid(let field, let message):
            return APIError(status: .badRequest, message: message, type: "invalid_request_error", param: field, code: nil)
        case .notFound(let message):
            return APIError(status: .notFound, message: message, type: "not_found_error", param: nil, code: nil)
        case .conflict(let field, let message):
            return APIError(status: .conflict, message: message, type: "invalid_request_error", param: field, code: nil)
        case .preconditionFailed(let message, let etag):
            return APIError(status: .preconditionFailed, message: message, type: "invalid_request_error", param: "If-Match",
                            code: nil, etag: etag)
        case .gone(let message):
            return APIError(status: .gone, message: message, type: "invalid_request_error", param: nil, code: nil)
        case .forbidden(let message):
            return APIError(status: .forbidden, message: message, type: "auth_error", param: nil, code: nil)
        case .unauthorized(let message):
            return APIError(status: .unauthorized, message: message, type: "auth_error", param: nil, code: nil)
        case .tooLarge(let message):
            return APIError(status: .contentTooLarge, message: message, type: "invalid_request_error", param: nil, code: nil)
        case .quotaExceeded(let message):
            return APIError(status: .tooManyRequests, message: message, type: "invalid_request_error", param: nil, code: nil)
        case .unavailable(let message):
            return APIError(status: .serviceUnavailable, message: message, type: "service_unavailable", param: nil, code: nil)
        case .internal:
            return APIError(status: .internalServerError, message: "internal error", type: "internal_server_error", param: nil, code: nil)
        }
    }

    static func type(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401, 403: return "auth_error"
        case 404: return "not_found_error"
        case 400..<500: return "invalid_request_error"
        case 503: return "service_unavailable"
        default: return "internal_server_error"
        }
    }
}

/// Turns every error thrown below it (routes, auth, unknown paths) into an `APIError` response.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = CatalogRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && (context.endpointPath ?? "NotFound") == "NotFound" {
            // No route matched: a known path asked with another method is a 405, as in LiteLLM.
            let allowed = routes.allowed(path: request.uri.path)
            guard !allowed.isEmpty else { return APIError.from(error, logger: context.logger).response }
            let methods = allowed.map(\.rawValue).joined(separator: ", ")
            var response = APIError(
                status: .methodNotAllowed, message: "method \(request.method.rawValue) is not allowed here; allowed: \(methods)",
                type: "invalid_request_error", param: nil, code: nil
            ).response
            response.headers[.allow] = methods
            return response
        } catch {
            return APIError.from(error, logger: context.logger).response
        }
    }
}
