import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Slow, idle and greedy clients against the real HTTP server (`ServerLimits`): each is closed
/// within its documented timeout, and the health probe answers all the while.
@Suite("Slow clients and connection limits")
struct SlowClientTests {
    /// Short timeouts, so that the tests wait seconds; the margin absorbs a noisy machine. The idle
    /// timeout is long but in the test of it, so that it cannot stand in for the one under test.
    static let limits = ServerLimits(idleTimeout: .seconds(60), headerTimeout: .seconds(2), bodyTimeout: .seconds(2))
    static let margin = 3.0

    func withServer(limits: ServerLimits = SlowClientTests.limits,
                    _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let catalog = try await TestCatalog.make()
        defer { Task { await catalog.close() } }
        var configuration = catalog.configuration()
        configuration.limits = limits
        let built = try await buildApplication(configuration: configuration, logger: Logger(label: "test"))
        try await built.application.test(.live) { client in
            let port = try #require(client.port)
            try await body(port)
        }
    }

    /// The liveness probe, on a connection of its own.
    static func healthAnswers(_ port: Int) async throws -> Bool {
        let outcome = try await RawHTTP.exchanging(port: port, method: "GET", path: "/health/liveliness")
        if outcome != .response(status: 200, body: "\"I'm alive!\"") { print("health: \(outcome)") }
        return outcome == .response(status: 200, body: "\"I'm alive!\"")
    }

    @Test("An idle connection is closed within the idle timeout; health answers while it is open")
    func idleConnectionIsClosed() async throws {
        var limits = Self.limits
        limits.idleTimeout = .seconds(2)
        try await withServer(limits: limits) { port in
            var idle: [RawConnection] = []
            for _ in 0..<5 { idle.append(try await RawConnection.open(port: port)) }
            #expect(try await Self.healthAnswers(port))
            let waited = idle[0].secondsUntilClosed(within: 2 + Self.margin)
            #expect(waited.seconds != nil, "an idle connection stayed open past the idle timeout")
            #expect(waited.text.isEmpty, "an idle connection is closed without a response")
            #expect(try await Self.healthAnswers(port))
        }
    }

    @Test("A request head trickled a line at a time gets 408 within the header timeout; health answers throughout")
    func trickledHeadIsRefused() async throws {
        try await withServer { port in
            let slow = try await RawConnection.open(port: port, sending: "GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let start = Date()
            var healthy = true
            var closed = false
            var text = ""
            // One header line every 0.3 s: each would reset a timeout that counts only silence.
            while !closed, Date().timeIntervalSince(start) < 2 + Self.margin {
                if try await !Self.healthAnswers(port) { healthy = false }
                try await slow.sending("X-Slow: \(Int(Date().timeIntervalSince(start) * 10))\r\n")
                let received = try await slow.receiving(for: 0.3)
                text += received.text
                closed = received.closed
            }
            #expect(closed, "a trickled head kept its connection past the header timeout")
            #expect(RawResponse(text)?.status == 408, "got \(text.prefix(200))")
            #expect(healthy)
        }
    }

    @Test("A trickled head's 408 is in the JSON error shape")
    func trickledHeadAnswer() async throws {
        try await withServer { port in
            let slow = try await RawConnection.open(port: port, sending: "GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            let waited = try await slow.waitingUntilClosed(within: 2 + Self.margin)
            #expect(waited.seconds != nil)
            let response = RawResponse(waited.text)
            #expect(response?.status == 408)
            #expect(response?.error?["code"] as? String == "408")
        }
    }

    @Test("Half a body, then a byte at a time: 408 within the body timeout; health answers throughout")
    func trickledBodyIsRefused() async throws {
        try await withServer { port in
            let slow = try await RawConnection.open(port: port, sending: "POST /model/new HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestCatalog.masterKey)\r\n"
                      + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"model_name\":")
            let start = Date()
            var healthy = true
            var closed = false
            var text = ""
            while Date().timeIntervalSince(start) < 2 + Self.margin {
                if try await !Self.healthAnswers(port) { healthy = false }
                let received = try await slow.receiving(for: 0.3)
                text += received.text
                if received.closed { closed = true; break }
                try await slow.sending(" ")
            }
            #expect(closed, "a trickled body kept its connection past the body timeout")
            #expect(RawResponse(text)?.status == 408)
            #expect(healthy)
        }
    }

    @Test("Expect: 100-continue with a Content-Length over the limit: 413 at once, before any body")
    func oversizedContentLengthIsRefusedEarly() async throws {
        try await withServer { port in
            let client = try await RawConnection.open(port: port, sending: "POST /model/new HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestCatalog.masterKey)\r\n"
                        + "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 50000000\r\n\r\n")
            let text = try await client.receivingResponse(within: 15)
            let response = RawResponse(text)
            #expect(response?.status == 413, "got \(text.prefix(200))")
            #expect(response?.error?["code"] as? String == "413")
            #expect(!text.hasPrefix("HTTP/1.1 100"), "no 100 Continue for a body that will be refused")
        }
    }

    @Test("Expect: 100-continue with an acceptable body: 100 Continue, then the route's answer")
    func acceptableExpectGetsContinue() async throws {
        var limits = Self.limits
        limits.bodyTimeout = .seconds(20)  // the client below waits for its 100 Continue first
        try await withServer(limits: limits) { port in
            let client = try await RawConnection.open(port: port)
            let body = #"{"model_name":"expect-m","litellm_params":{"model":"openai/gpt-4o"}}"#
            try await client.sending("POST /model/new HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestCatalog.masterKey)\r\n"
                        + "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            // Read until each answer is in (a busy machine can take seconds), not for a fixed window.
            var interim = ""
            let interimDeadline = Date().addingTimeInterval(15)
            while Date() < interimDeadline, !interim.contains("\r\n\r\n") {
                interim += try await client.receiving(for: 0.25).text
            }
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "got \(interim.prefix(100))")
            try await client.sending(body)
            let final = try await client.receivingResponse(within: 15)
            #expect(RawResponse(final)?.status == 200, "got \(final.prefix(300))")
        }
    }

    @Test("Past the connection cap, health and metrics answer and everything else gets 503 in the JSON shape")
    func connectionCap() async throws {
        var limits = Self.limits
        limits.maxConnections = 3
        limits.probeConnections = 4
        limits.idleTimeout = .seconds(30)
        try await withServer(limits: limits) { port in
            var held: [RawConnection] = []
            for _ in 0..<3 { held.append(try await RawConnection.open(port: port)) }
            // The held connections are accepted (and counted) once the server answers on another.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.healthAnswers(port))
            let refused = try await RawHTTP.exchanging(port: port, method: "GET", path: "/model/info",
                                           headers: ["Authorization": "Bearer \(TestCatalog.masterKey)"])
            guard case .response(let status, let body) = refused else {
                Issue.record("no response past the cap: \(refused)")
                return
            }
            #expect(status == 503)
            #expect(body.contains("\"code\":\"503\""), "\(body)")
            held.forEach { $0.closeNow() }
            // The slots come back once the server has seen the closes: ask until it has (a busy
            // machine can take more than a moment), not after a fixed pause.
            let ask = { try await RawHTTP.exchanging(port: port, method: "GET", path: "/model/info",
                                                     headers: ["Authorization": "Bearer \(TestCatalog.masterKey)"]) }
            var served = try await ask()
            let deadline = ContinuousClock.now + .seconds(15)
            while case .response(503, _) = served, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                served = try await ask()
            }
            if case .response(let status, _) = served { #expect(status == 200) } else { Issue.record("\(served)") }
        }
    }
}
