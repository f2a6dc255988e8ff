/// A request the catalog refuses, with what the caller needs to fix it. The HTTP layer maps each
/// case to a status in one place; messages never contain secret values.
public enum CatalogError: Error, Sendable, Equatable {
    /// Bad input: `field` names what is wrong (e.g. `litellm_params.model`).
    case invalid(field: String?, message: String)
    /// The thing does not exist, or the caller may not see it (the two are indistinguishable).
    case notFound(message: String)
    /// The request conflicts with the current state (a duplicate id, a concurrent change).
    case conflict(field: String?, message: String)
    /// A write's `If-Match` names a version the object no longer has (412): `etag` is the
    /// object's current tag, for the response's `ETag`, when it is known.
    case preconditionFailed(message: String, etag: String?)
    /// A cursor the change log no longer (or never) holds: the caller must start over from a new
    /// snapshot.
    case gone(message: String)
    /// The caller is known but may not do this.
    case forbidden(message: String)
    /// The caller is not authenticated.
    case unauthorized(message: String)
    /// A body too large to read.
    case tooLarge(message: String)
    /// A quota is used up (a tenant's number of models or bytes of parameters).
    case quotaExceeded(message: String)
    /// The database cannot be reached right now.
    case unavailable(message: String)
    /// A failure that is our bug, not the caller's: `message` is for the log (it holds no secret)
    /// and never reaches the response, which says only "internal error".
    case `internal`(message: String)
}

extension CatalogError {
    /// The same refusal, said of one part of a larger request (`operations[3]` of a batch): the
    /// field it names is under that part, and its message says which part it is.
    public func within(_ part: String) -> CatalogError {
        func said(_ message: String) -> String { "\(part): \(message)" }
        func under(_ field: String?) -> String { field.map { "\(part).\($0)" } ?? part }
        switch self {
        case .invalid(let field, let message): return .invalid(field: under(field), message: said(message))
        case .notFound(let message): return .notFound(message: said(message))
        case .conflict(let field, let message): return .conflict(field: under(field), message: said(message))
        case .preconditionFailed(let message, let etag): return .preconditionFailed(message: said(message), etag: etag)
        case .gone(let message): return .gone(message: said(message))
        case .forbidden(let message): return .forbidden(message: said(message))
        case .unauthorized(let message): return .unauthorized(message: said(message))
        case .tooLarge(let message): return .tooLarge(message: said(message))
        case .quotaExceeded(let message): return .quotaExceeded(message: said(message))
        case .unavailable, .internal: return self
        }
    }
}

extension CatalogError {
    /// What the refusal says, whatever its kind (for the shell, which has no status to show).
    public var message: String {
        switch self {
        case .invalid(_, let message), .notFound(let message), .conflict(_, let message), .preconditionFailed(let message, _),
             .gone(let message), .forbidden(let message), .unauthorized(let message), .tooLarge(let message),
             .quotaExceeded(let message), .unavailable(let message), .internal(let message):
            return message
        }
    }
}
