import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Hummingbird's HTTP/1.1 channel with the catalog's `ServerLimits`: the decoder's size limits, and
/// on every connection a `ConnectionGuardHandler` after the codec and its `RequestStartObserver`
/// in front of the decoder. Connections are counted here: those past `maxConnections` are marked
/// as serving probes only (the server stops accepting past `maxConnections + probeConnections`).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let limits: ServerLimits
    let connections: ConnectionCount

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ServerLimits, connections: ConnectionCount) {
        // Hummingbird's own idle timeout stays off: it resets on every request part, and the guard
        // keeps a deadline for each phase instead.
        self.http1 = HTTP1Channel(responder: responder, configuration: .init(
            idleTimeout: nil,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maxHeaderFieldSize, maxHeaderListSize: limits.maxHeaderListSize)))
        self.limits = limits
        self.connections = connections
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let overCapacity = connections.opened() > limits.maxConnections
        channel.closeFuture.whenComplete { [connections] _ in connections.closed() }
        // The HTTP1 setup completes at once on the channel's loop, so the guard is in place before
        // the first read.
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { [limits] value in
            let operations = channel.pipeline.syncOperations
            let guardHandler = ConnectionGuardHandler(limits: limits, overCapacity: overCapacity)
            try operations.addHandler(guardHandler, position: .before(try operations.handler(type: HTTPConnectionStateHandler.self)))
            try operations.addHandler(RequestStartObserver(guardHandler: guardHandler), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// The number of open client connections, shared by every event loop.
final class ConnectionCount: Sendable {
    private let count = NIOLockedValueBox(0)

    /// Counts a new connection; returns the count including it.
    func opened() -> Int { count.withLockedValue { $0 += 1; return $0 } }
    func closed() { count.withLockedValue { $0 -= 1 } }
    var current: Int { count.withLockedValue { $0 } }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 under `limits` (see `ServerLimits`).
    static func guardedHTTP1(limits: ServerLimits) -> HTTPServerBuilder {
        let connections = ConnectionCount()
        return .init { responder in GuardedHTTP1Channel(responder: responder, limits: limits, connections: connections) }
    }
}
