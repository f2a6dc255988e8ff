import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Requests the HTTP decoder refuses before any route runs get the catalog's JSON error shape
/// (`ConnectionGuardHandler`), over raw sockets since no HTTP client sends them.
@Suite("Framework-level rejections")
struct FrameworkRejectionTests {
    func withServer(_ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        let catalog = try await TestCatalog.make()
        defer { Task { await catalog.close() } }
        let built = try await buildApplication(configuration: catalog.configuration(), logger: Logger(label: "test"))
        try await built.application.test(.live) { client in
            let port = try #require(client.port)
            try await body(port)
        }
    }

    /// The status and the JSON error of a raw request, sent whole.
    static func answer(_ port: Int, _ request: String) async throws -> (status: Int?, code: String?, message: String?) {
        let connection = try await RawConnection.open(port: port, sending: request)
        let text = try await connection.receivingResponse(within: 15)
        let response = RawResponse(text)
        return (response?.status, response?.error?["code"] as? String, response?.error?["message"] as? String)
    }

    @Test("A URL longer than the limit: 414 in the JSON shape")
    func longURL() async throws {
        try await withServer { port in
            let path = "/model/info?x=" + String(repeating: "a", count: 20_000)
            let answer = try await Self.answer(port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(answer.status == 414)
            #expect(answer.code == "414")
        }
    }

    @Test("Headers larger than the limit: 431 in the JSON shape")
    func largeHeaders() async throws {
        try await withServer { port in
            let headers = (0..<8).map { "X-Big-\($0): \(String(repeating: "b", count: 8_000))\r\n" }.joined()
            let answer = try await Self.answer(port, "GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n")
            #expect(answer.status == 431)
            #expect(answer.code == "431")
        }
    }

    @Test("Content-Length with Transfer-Encoding, in either order: 400 in the JSON shape", arguments: [true, false])
    func contentLengthAndTransferEncoding(lengthFirst: Bool) async throws {
        try await withServer { port in
            let fields = ["Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n"]
            let answer = try await Self.answer(port, "POST /model/new HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                               + (lengthFirst ? fields : fields.reversed()).joined() + "\r\n0\r\n\r\n")
            #expect(answer.status == 400)
            #expect(answer.code == "400")
            #expect(answer.message?.contains("Transfer-Encoding") == true, "\(answer.message ?? "no message")")
        }
    }

    @Test("An unknown method: 400 in the JSON shape")
    func unknownMethod() async throws {
        try await withServer { port in
            let answer = try await Self.answer(port, "FROB /model/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(answer.status == 400)
            #expect(answer.code == "400")
        }
    }

    @Test("Garbage instead of a request line: 400 in the JSON shape, and the server goes on serving")
    func garbage() async throws {
        try await withServer { port in
            let answer = try await Self.answer(port, "\u{01}\u{02}\u{03} nonsense\r\n\r\n")
            #expect(answer.status == 400)
            #expect(answer.code == "400")
            #expect(try await RawHTTP.exchanging(port: port, method: "GET", path: "/health/liveliness") == .response(status: 200, body: "\"I'm alive!\""))
        }
    }
}
