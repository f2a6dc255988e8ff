import Foundation
import Testing

/// One HTTP/1.1 exchange on a new connection (`Connection: close`), over a blocking socket, so
/// that a test can tell apart what a client sees when a server goes away: a refused connection,
/// a connection closed before any byte of a response (the server never took the request), a
/// response cut short, or a whole response.
enum RawHTTP {
    enum Outcome: Sendable, Equatable {
        case refused
        /// Connected, but closed or reset before the first byte of a response.
        case noResponse
        /// Some bytes of a response, not all of them.
        case truncated(String)
        case response(status: Int, body: String)
    }

    static func exchange(port: Int, method: String, path: String, headers: [String: String] = [:],
                         body: String? = nil) -> Outcome {
        // RawConnection connects (and closes when this returns); this exchange adds its timeouts.
        guard let connection = try? RawConnection(port: port) else { return .refused }
        let fd = connection.fd
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        guard connection.send(request + "\r\n" + (body ?? "")) else { return .noResponse }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { received += buffer[0..<count]; continue }
            break  // EOF, reset or timeout: what arrived is all there is.
        }
        if received.isEmpty { return .noResponse }
        return parse(received)
    }

    /// A whole response: a status line, headers, and exactly Content-Length bytes of body (or a
    /// chunked body through its last chunk).
    static func parse(_ bytes: [UInt8]) -> Outcome {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return .truncated(String(text.prefix(200))) }
        let head = text[..<headEnd.lowerBound].split(separator: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            return .truncated(String(text.prefix(200)))
        }
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let headBytes = text[..<headEnd.upperBound].utf8.count
        let body = Array(bytes[headBytes...])
        if let length = fields["content-length"].flatMap(Int.init) {
            guard body.count == length else { return .truncated("\(body.count) of \(length) body bytes") }
            return .response(status: status, body: String(decoding: body, as: UTF8.self))
        }
        if fields["transfer-encoding"]?.lowercased() == "chunked" {
            let tail = Array("0\r\n\r\n".utf8)
            guard body.count >= tail.count, Array(body.suffix(tail.count)) == tail else {
                return .truncated("a chunked body without its last chunk")
            }
            return .response(status: status, body: "")
        }
        return .response(status: status, body: String(decoding: body, as: UTF8.self))
    }
}

/// What the load's clients saw, collected from their threads.
final class LoadRecord: @unchecked Sendable {
    struct Entry: Sendable {
        var route: String
        var model: String?
        var startedAfterSignal: Bool
        var outcome: RawHTTP.Outcome
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var signalled = false
    private var finished = 0

    func add(_ entry: Entry) { lock.withLock { entries.append(entry) } }
    func markSignalled() { lock.withLock { signalled = true } }
    var isSignalled: Bool { lock.withLock { signalled } }
    func clientFinished() { lock.withLock { finished += 1 } }
    var finishedClients: Int { lock.withLock { finished } }
    var all: [Entry] { lock.withLock { entries } }
}

@Suite("Graceful shutdown", .serialized)
struct ShutdownTests {
    static let key = "sk-shutdown"

    @Test("SIGTERM under concurrent reads and writes: every accepted request completes, exit 0 within 10 s, PostgreSQL stopped, no acknowledged write lost",
          .timeLimit(.minutes(5)))
    func sigtermDrainsUnderLoad() async throws {
        let dataDir = try TemporaryDirectory()
        defer {
            EmbeddedCluster.stopLeftover(in: dataDir.path)
            dataDir.remove()
        }
        let pidPath = dataDir.path + "/postgres/postmaster.pid"
        let arguments = ["--data-dir", dataDir.path, "--pool-size", "4", "--log-format", "json"]
        let server = try await ServerProcess.start(arguments, environment: ["LITELLM_MASTER_KEY": Self.key])
        let postmaster = try #require(EmbeddedCluster.postmasterPID(pidPath), "no PostgreSQL running in \(dataDir.path)")

        // Three readers and three writers, each on its own thread with blocking sockets (the
        // cooperative pool must stay free), until the server refuses connections.
        let record = LoadRecord()
        let clients = 6
        for client in 0..<clients {
            let thread = Thread {
                var index = 0
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline {
                    let afterSignal = record.isSignalled
                    let entry: LoadRecord.Entry
                    if client % 2 == 0 {
                        let outcome = RawHTTP.exchange(port: server.port, method: "GET", path: "/model/info",
                                                       headers: ["Authorization": "Bearer \(Self.key)"])
                        entry = .init(route: "/model/info", startedAfterSignal: afterSignal, outcome: outcome)
                    } else {
                        let name = "drain-\(client)-\(index)"
                        let body = #"{"model_name":"\#(name)","litellm_params":{"model":"openai/gpt-4o-mini"}}"#
                        let outcome = RawHTTP.exchange(port: server.port, method: "POST", path: "/model/new",
                                                       headers: ["Authorization": "Bearer \(Self.key)"], body: body)
                        entry = .init(route: "/model/new", model: name, startedAfterSignal: afterSignal, outcome: outcome)
                    }
                    record.add(entry)
                    index += 1
                    if entry.outcome == .refused { break }
                }
                record.clientFinished()
            }
            thread.start()
        }

        // Load for a while, then SIGTERM in the middle of it.
        await pause(.milliseconds(1500))
        let beforeSignal = record.all.count
        record.markSignalled()
        let signalled = ContinuousClock.now
        server.process.send(SIGTERM)
        let termination = await server.process.waitForExit(timeout: .seconds(10))
        let exitedAfter = ContinuousClock.now - signalled
        if termination == nil { _ = await server.process.stop(signal: SIGKILL, timeout: .seconds(10), recordKill: false) }
        #expect(termination == .exited(0), "serve did not exit 0 within 10 s of SIGTERM: \(termination.map { "\($0)" } ?? "still running")")
        #expect(!EmbeddedCluster.isAlive(postmaster), "PostgreSQL (pid \(postmaster)) still runs")
        #expect(!FileManager.default.fileExists(atPath: pidPath), "postmaster.pid left behind")

        let deadline = ContinuousClock.now + .seconds(60)
        while record.finishedClients < clients && ContinuousClock.now < deadline { await pause(.milliseconds(50)) }
        #expect(record.finishedClients == clients, "load clients still running")

        let entries = record.all
        #expect(beforeSignal >= 20, "too little load before the signal (\(beforeSignal) requests) for the test to mean anything")
        // Nothing the server started is cut short or fails: whole 200 responses only.
        for entry in entries {
            switch entry.outcome {
            case .response(let status, let body):
                #expect(status == 200, "\(entry.route): \(status) \(body.prefix(300))")
            case .truncated(let what):
                Issue.record("\(entry.route): a response was cut short: \(what)")
            case .refused, .noResponse:
                // Not taken by the server: after the signal, or queued unaccepted as the listening socket closed.
                break
            }
        }
        // Every request the server handled (one log line each, written when its response is
        // ready) reached its client whole: the counts agree route by route.
        let handled = Self.handledRequests(in: server.output)
        for route in ["/model/info", "/model/new"] {
            let answered = entries.filter { entry in
                if entry.route == route, case .response = entry.outcome { return true }
                return false
            }.count
            #expect(handled[route, default: 0] == answered,
                    "\(route): the server handled \(handled[route, default: 0]) requests, clients got \(answered) responses")
        }

        // No acknowledged write is lost: the data directory holds every model that got its 200.
        let acknowledged = Set(entries.compactMap { entry -> String? in
            if case .response(200, _) = entry.outcome { return entry.model }
            return nil
        })
        #expect(!acknowledged.isEmpty)
        let listed = try await ServerProcess.runSeparately(
            ["models", "list", "--json", "--data-dir", dataDir.path], timeout: .seconds(120))
        #expect(listed.termination == .exited(0), "\(listed.stderr.suffix(2000))")
        let data = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["data"] as? [[String: Any]]
        let stored = Set((data ?? []).compactMap { $0["model_name"] as? String })
        #expect(acknowledged.isSubset(of: stored), "acknowledged but not stored: \(acknowledged.subtracting(stored).sorted())")
        print("shutdown under load: \(entries.count) requests, \(beforeSignal) before SIGTERM; exited after \(exitedAfter)")
    }

    @Test("SIGTERM during start-up (initdb, then PostgreSQL's start) stops cleanly, and the next start works",
          .timeLimit(.minutes(5)), arguments: ["creating PostgreSQL cluster", "starting embedded PostgreSQL"])
    func sigtermDuringStartup(step: String) async throws {
        let dataDir = try TemporaryDirectory()
        defer {
            EmbeddedCluster.stopLeftover(in: dataDir.path)
            dataDir.remove()
        }
        let arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir.path]
        let process = try ChildProcess.spawn(try ServerProcess.binaryPath(), arguments, environment: ServerProcess.environment())
        let deadline = ContinuousClock.now + .seconds(60)
        while !process.output.contains(step), process.poll() == nil, ContinuousClock.now < deadline {
            await pause(.milliseconds(5))
        }
        try #require(process.output.contains(step), "never logged \"\(step)\":\n\(process.output.suffix(3000))")
        process.send(SIGTERM)
        let termination = await process.waitForExit(timeout: .seconds(30))
        if termination == nil { _ = await process.stop(signal: SIGKILL, timeout: .seconds(10), recordKill: false) }
        #expect(termination == .exited(0), "\(termination.map { "\($0)" } ?? "still running"):\n\(process.output.suffix(3000))")
        let pidPath = dataDir.path + "/postgres/postmaster.pid"
        if let pid = EmbeddedCluster.postmasterPID(pidPath) {
            #expect(!EmbeddedCluster.isAlive(pid), "PostgreSQL (pid \(pid)) still runs after the interrupted start")
        }

        // What the interrupted start left behind does not stop the next one.
        try await ServerProcess.with(["--data-dir", dataDir.path]) { server in
            let key = try String(contentsOfFile: dataDir.path + "/master_key", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await server.request("GET", "/model/info", key: key).status == 200)
            #expect(await server.stop(signal: SIGTERM, timeout: .seconds(15)) == .exited(0))
        }
    }

    /// Counts the per-request log lines (`--log-format json`) by route.
    static func handledRequests(in output: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["message"] as? String == "request", let route = object["route"] as? String else { continue }
            counts[route, default: 0] += 1
        }
        return counts
    }
}
