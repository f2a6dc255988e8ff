import Catalog
import Hummingbird

/// Optimistic concurrency at the HTTP edge: a write's `If-Match` as a `VersionPrecondition`, and
/// the `ETag` of the object a response shows. What a tag is made of, and how one is compared,
/// is `VersionPrecondition`'s rule; this only moves it in and out of headers.
enum EntityTags {
    /// The request's `If-Match`, or nil when it has none (the write goes ahead as LiteLLM's does).
    /// A malformed header is a 400 naming `If-Match`, before anything is read or changed.
    static func precondition(_ request: Request) throws -> VersionPrecondition? {
        let values = request.headers[values: .ifMatch]
        guard !values.isEmpty else { return nil }
        // Several If-Match fields mean one list (RFC 9110 §5.3).
        return try VersionPrecondition(header: values.joined(separator: ", "))
    }

    /// `response` with the `ETag` of a stored object at `version`.
    static func tagged(_ response: Response, version: Int) -> Response {
        var response = response
        response.headers[.eTag] = VersionPrecondition.tag(version: version)
        return response
    }

    /// `response` with a derived tag (`VersionPrecondition.tag(members:)`).
    static func tagged(_ response: Response, tag: String) -> Response {
        var response = response
        response.headers[.eTag] = tag
        return response
    }
}
