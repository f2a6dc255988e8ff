/// A request the catalog refuses, with what the caller needs to fix it. The HTTP layer maps each
/// case to a status in one place; messages never contain secret values.
public enum CatalogError: Error, Sendable, Equatable {
    /// Bad input: `field` names what is wrong (e.g. `litellm_params.model`).
    case invalid(field: String?, message: String)
    /// The thing does not exist, or the caller may not see it (the two are indistinguishable).
    case notFound(message: String)
    /// The request conflicts with the current state (a duplicate id, a concurrent change).
    case conflict(field: String?, message: String)
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
