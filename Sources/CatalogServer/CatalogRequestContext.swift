import Catalog
import Foundation
import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the authenticated caller.
public struct CatalogRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on every route that needs a key.
    public var principal: Principal?
    /// The client's address and port, as the connection has it (shown by `/fleet`).
    public let remoteAddress: String?
    /// Whether the client's connection is still open: a long response (the event stream) stops
    /// once it is not, instead of learning it from a failed write many seconds later.
    let isConnected: @Sendable () -> Bool

    public init(source: Source) {
        coreContext = .init(source: source)
        let channel = source.channel
        isConnected = { channel.isActive }
        remoteAddress = source.channel.remoteAddress.map { address in
            address.port.map { "\(address.ipAddress ?? "?"):\($0)" } ?? (address.ipAddress ?? "\(address)")
        }
    }

    /// The body limit of LiteLLM-style JSON endpoints.
    public var maxUploadSize: Int { RequestJSON.maxBodySize }

    /// The caller; the routes behind `AuthMiddleware` always have one.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw CatalogError.unauthorized(message: "authentication required") }
        return principal
    }

    /// The path parameter `name`, percent-decoded: Hummingbird hands path parameters over as sent
    /// (`a%20b`), while clients percent-encode ids and model names (`openai%2Fgpt-4o`).
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// The rest of the path a `**` route matched, percent-decoded, its segments joined with "/".
    var pathRest: String {
        parameters.getCatchAll().map { $0.removingPercentEncoding ?? String($0) }.joined(separator: "/")
    }
}
