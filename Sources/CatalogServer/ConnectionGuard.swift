import Catalog
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// One connection's deadlines and early refusals, between the HTTP codec and Hummingbird's own
/// handlers (see `GuardedHTTP1Channel`). Hummingbird's idle timeout resets on every request part,
/// so a body trickled a byte at a time, or a head trickled a line at a time, would hold a
/// connection for ever; here each phase of a request has a deadline of its own:
///
/// - idle (no request under way): closed after `idleTimeout`, without a response;
/// - head (its first byte seen by `RequestStartObserver`, not yet whole): 408 after `headerTimeout`;
/// - body (head passed on, end not yet read): 408 after `bodyTimeout`;
/// - responding (the request read whole): no deadline here, the handler's work is not the client's.
///
/// It also answers, in the catalog's JSON error shape, what never reaches a route: a
/// `Content-Length` over the body limit (413, before the body, with `Expect: 100-continue` too),
/// a request on a connection over the cap that is not a probe (503), and the HTTP decoder's
/// rejections (400, 414, 431) which Hummingbird answers with an empty 400.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase: Equatable {
        case idle(since: NIODeadline)
        case head(since: NIODeadline)
        case body(since: NIODeadline)
        case responding
        /// Refused or timed out: everything read from now on is dropped.
        case closing
    }

    /// The routes a connection over the cap may still use: what a load balancer and a scraper ask.
    static let probePaths: Set<String> = ["/health/liveliness", "/health/liveness", "/health/readiness", "/metrics"]
    /// How long a refused connection goes on reading (and dropping) what the client sends after its
    /// answer: closing at once with unread bytes would reset the connection, and a reset can destroy
    /// the answer before the client reads it.
    static let lingerTime = TimeAmount.seconds(2)

    private let limits: ServerLimits
    private let overCapacity: Bool
    private var phase: Phase = .idle(since: .now())
    /// Requests whose head was passed on and whose response has not ended (more than one when pipelined).
    private var inFlight = 0
    /// A response head (not a 100 Continue) has been written for the oldest request in flight.
    private var responseStarted = false
    /// Bytes of the next request arrived while a response was under way: its head phase began then.
    private var nextHeadSince: NIODeadline?
    /// The current head's request line: its bytes so far, and whether it has ended. An overflow
    /// with a request line over the field limit is a URL too long (the decoder counts the URL as
    /// a header field and does not say which overflowed).
    private var requestLineLength = 0
    private var requestLineEnded = false
    private var timer: Scheduled<Void>?

    init(limits: ServerLimits, overCapacity: Bool) {
        self.limits = limits
        self.overCapacity = overCapacity
    }

    func handlerAdded(context: ChannelHandlerContext) {
        phase = .idle(since: .now())
        reschedule(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    /// Called by `RequestStartObserver` with every read, before the HTTP decoder sees it.
    func bytesArrived(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        switch phase {
        case .idle:
            phase = .head(since: .now())
            requestLineLength = 0
            requestLineEnded = false
            reschedule(context)
        case .responding:
            if nextHeadSince == nil { nextHeadSince = .now() }
        case .head, .body, .closing:
            break
        }
        if case .head = phase, !requestLineEnded {
            let bytes = buffer.readableBytesView
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineLength += newline - bytes.startIndex
                requestLineEnded = true
            } else {
                requestLineLength += bytes.count
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if phase == .closing { return }
        switch part {
        case .head(let request):
            inFlight += 1
            phase = .body(since: .now())
            nextHeadSince = nil
            if let refusal = refusal(for: request) {
                refuse(refusal, context: context)
                return
            }
            if request.headerFields[.expect]?.lowercased() == "100-continue" {
                // The body is acceptable: ask for it, so a client waiting for this sends it.
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
            reschedule(context)
        case .body:
            break
        case .end:
            if case .body = phase { phase = .responding }
            reschedule(context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response):
            if response.status.kind != .informational { responseStarted = true }
        case .body:
            break
        case .end:
            inFlight = max(0, inFlight - 1)
            responseStarted = false
            if inFlight == 0, phase == .responding {
                phase = nextHeadSince.map { .head(since: $0) } ?? .idle(since: .now())
                nextHeadSince = nil
                reschedule(context)
            }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if phase == .closing { return }
        // Once a route has begun its answer, a second one cannot be written: leave the error to
        // Hummingbird, which closes the connection.
        guard !responseStarted, let rejection = decoderRejection(error) else {
            context.fireErrorCaught(error)
            return
        }
        refuse(rejection, context: context)
    }

    // MARK: Decisions

    /// The answer to a request head that must not reach the routes, or nil to pass it on.
    private func refusal(for request: HTTPRequest) -> APIError? {
        if overCapacity {
            let target = request.path ?? ""
            let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
            if !Self.probePaths.contains(path) {
                return APIError(status: .serviceUnavailable,
                                message: "the server has reached its connection limit (\(limits.maxConnections)); retry later",
                                type: "service_unavailable", param: nil, code: nil)
            }
        }
        if let declared = request.headerFields[.contentLength].flatMap(Int.init), declared > ServerLimits.maxBodySize {
            return APIError(status: .contentTooLarge,
                            message: "the request body is larger than \(Self.size(ServerLimits.maxBodySize)) (Content-Length: \(declared))",
                            type: "invalid_request_error", param: nil, code: nil)
        }
        return nil
    }

    /// The JSON answer to an error of the HTTP decoder (or of the conversion to HTTP types), or nil
    /// for any other error (a reset connection, a failed write).
    private func decoderRejection(_ error: any Error) -> APIError? {
        func bad(_ status: HTTPResponse.Status, _ message: String) -> APIError {
            APIError(status: status, message: message, type: "invalid_request_error", param: nil, code: nil)
        }
        if let error = error as? HTTPParserError {
            switch error {
            case .headerOverflow where requestLineLength > limits.maxHeaderFieldSize:
                return bad(.uriTooLong, "the request line is longer than \(Self.size(limits.maxHeaderFieldSize))")
            case .headerOverflow:
                return bad(.requestHeaderFieldsTooLarge,
                           "the request headers are larger than allowed (\(Self.size(limits.maxHeaderFieldSize)) a line, \(Self.size(limits.maxHeaderListSize)) in all)")
            case .invalidMethod:
                return bad(.badRequest, "the request method is not a known HTTP method")
            case .unexpectedContentLength:
                return bad(.badRequest, "a request cannot have both Content-Length and Transfer-Encoding")
            case .invalidContentLength:
                return bad(.badRequest, "the request's Content-Length is not valid, or comes with Transfer-Encoding")
            case .invalidChunkSize:
                return bad(.badRequest, "the request's chunked body is malformed")
            case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
                return bad(.badRequest, "the request's URL is malformed")
            case .invalidVersion:
                return bad(.badRequest, "the request's HTTP version is not supported")
            default:
                // llhttp reports Transfer-Encoding after Content-Length, and several other faults,
                // under one code that NIO maps to `.unknown`.
                return bad(.badRequest, "the request is not valid HTTP/1.1 (such as Content-Length with Transfer-Encoding, or a malformed header)")
            }
        }
        if error is HTTP1TypeConversionError {
            return bad(.badRequest, "the request head is not valid HTTP (a missing or malformed method, path or header)")
        }
        return nil
    }

    static func size(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : bytes % 1024 == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }

    // MARK: Deadlines

    private func deadline() -> NIODeadline? {
        switch phase {
        case .idle(let since): return since + Self.amount(limits.idleTimeout)
        case .head(let since): return since + Self.amount(limits.headerTimeout)
        case .body(let since): return since + Self.amount(limits.bodyTimeout)
        case .responding, .closing: return nil
        }
    }

    private func reschedule(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard let deadline = deadline() else { return }
        let loop = context.eventLoop.assumeIsolated()
        timer = loop.scheduleTask(deadline: deadline) { [self] in
            timer = nil
            deadlinePassed(context)
        }
    }

    private func deadlinePassed(_ context: ChannelHandlerContext) {
        guard let deadline = deadline() else { return }
        guard deadline <= .now() else { return reschedule(context) }
        switch phase {
        case .idle:
            phase = .closing
            context.close(promise: nil)
        case .head:
            refuse(APIError(status: .requestTimeout, message: "the request head did not arrive within \(limits.headerTimeout)",
                            type: "invalid_request_error", param: nil, code: nil), context: context)
        case .body where responseStarted:
            phase = .closing
            context.close(promise: nil)
        case .body:
            refuse(APIError(status: .requestTimeout, message: "the request body did not arrive within \(limits.bodyTimeout)",
                            type: "invalid_request_error", param: nil, code: nil), context: context)
        case .responding, .closing:
            break
        }
    }

    // MARK: Answers

    /// Writes `error` as the connection's last response, stops reading requests, and closes: the
    /// output at once, the whole connection after `lingerTime` or when the client closes.
    private func refuse(_ error: APIError, context: ChannelHandlerContext) {
        phase = .closing
        timer?.cancel()
        timer = nil
        let body = ByteBuffer(bytes: JSONWriter.bytes(error.body))
        var head = HTTPResponse(status: error.status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        if error.status == .serviceUnavailable { head.headerFields[.retryAfter] = "1" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
            channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
        }
    }

    private static func amount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

@available(*, unavailable)
extension ConnectionGuardHandler: Sendable {}

/// First in a connection's pipeline: tells the guard when the first bytes of a request arrive,
/// which the HTTP decoder does not (it speaks only once a head is whole).
final class RequestStartObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let guardHandler: ConnectionGuardHandler
    private var guardContext: ChannelHandlerContext?

    init(guardHandler: ConnectionGuardHandler) {
        self.guardHandler = guardHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if guardContext == nil {
            guardContext = try? context.pipeline.syncOperations.context(handler: guardHandler)
        }
        if let guardContext { guardHandler.bytesArrived(unwrapInboundIn(data), context: guardContext) }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension RequestStartObserver: Sendable {}
