import Foundation

/// A client connection over a blocking socket that sends exactly the bytes a test gives, when it
/// gives them: for clients that trickle, stall or send what no HTTP library would.
final class RawConnection: @unchecked Sendable {
    struct ConnectError: Error {}

    let fd: Int32
    private var isClosed = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw ConnectError() }
    }

    deinit { closeNow() }

    /// Closes the client's end (once).
    func closeNow() {
        guard !isClosed else { return }
        isClosed = true
        close(fd)
    }

    /// False when the peer has closed (EPIPE or a reset).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            sent += written
        }
        return true
    }

    /// What arrives within `seconds`, and whether the server closed the connection by then (EOF
    /// or a reset): reads until one of the two.
    func receive(for seconds: Double) -> (text: String, closed: Bool) {
        let end = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < end {
            var pollfd = Foundation.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollfd, 1, Int32(max(1, end.timeIntervalSinceNow * 1000)))
            if ready <= 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<count]
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    /// Reads until the server closes, for at most `seconds`: the seconds it took, nil if it stayed open.
    func secondsUntilClosed(within seconds: Double) -> (seconds: Double?, text: String) {
        let start = Date()
        let (text, closed) = receive(for: seconds)
        return (closed ? Date().timeIntervalSince(start) : nil, text)
    }
}

/// A response's status and its JSON body's `error` object, from raw response text.
struct RawResponse {
    var status: Int
    var error: [String: Any]?

    init?(_ text: String) {
        // Skip interim responses (100 Continue).
        var rest = Substring(text)
        while rest.hasPrefix("HTTP/1.1 1"), let end = rest.range(of: "\r\n\r\n") { rest = rest[end.upperBound...] }
        guard let headEnd = rest.range(of: "\r\n\r\n"),
              let status = rest.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap({ Int($0) }) else { return nil }
        self.status = status
        let body = Data(rest[headEnd.upperBound...].utf8)
        error = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? [String: Any]
    }
}

/// Runs blocking socket code on a thread of its own, never on the cooperative pool (a test
/// blocked in `recv` there would starve the very server it waits for: its handlers run on that
/// pool) nor on Dispatch's global queue (which runs about one block per core, so a blocked test
/// would delay another's send past the timeouts under test).
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// The blocking calls, off the cooperative pool, so that a test's expectations stay in its task.
extension RawConnection {
    /// Connects and, in the same breath, sends `first` (when given): a connection left silent
    /// between the two would meet the idle timeout instead of the one under test.
    static func open(port: Int, sending first: String? = nil) async throws -> RawConnection {
        try await offloaded {
            let connection = try RawConnection(port: port)
            if let first { connection.send(first) }
            return connection
        }
    }

    @discardableResult
    func sending(_ text: String) async throws -> Bool {
        try await offloaded { self.send(text) }
    }

    func receiving(for seconds: Double) async throws -> (text: String, closed: Bool) {
        try await offloaded { self.receive(for: seconds) }
    }

    /// Reads until a whole response head (after any 100 Continue) is in, the server closes, or
    /// `seconds` pass: a busy machine can take seconds to answer, so no fixed window.
    func receivingResponse(within seconds: Double) async throws -> String {
        var text = ""
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, RawResponse(text) == nil {
            let (more, closed) = try await receiving(for: 0.25)
            text += more
            if closed { break }
        }
        return text
    }

    func waitingUntilClosed(within seconds: Double) async throws -> (seconds: Double?, text: String) {
        try await offloaded { self.secondsUntilClosed(within: seconds) }
    }
}

extension RawHTTP {
    static func exchanging(port: Int, method: String, path: String, headers: [String: String] = [:]) async throws -> Outcome {
        try await offloaded { exchange(port: port, method: method, path: path, headers: headers) }
    }
}
