import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A Server-Sent Events subscription of a test: events are collected as they arrive, in order,
/// until the stream ends or `close` is called.
final class EventStreamClient: Sendable {
    struct Event: Sendable {
        var id: Int64?
        var name: String?
        var data: String

        /// The event's data as JSON.
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
    }

    /// What the stream delivered so far.
    actor Log {
        private(set) var events: [Event] = []
        private(set) var comments: [String] = []
        private(set) var retry: Int?
        private(set) var ended = false

        func add(_ event: Event) { events.append(event) }
        func comment(_ text: String) { comments.append(text) }
        func setRetry(_ value: Int) { retry = value }
        func end() { ended = true }
    }

    let status: Int
    let headers: HTTPHeaders
    /// The body of a refused request (not a stream).
    let errorBody: String
    let log = Log()
    private let reader: Task<Void, Never>?

    private init(status: Int, headers: HTTPHeaders, errorBody: String, reader: @escaping @Sendable (Log) async -> Void) {
        self.status = status
        self.headers = headers
        self.errorBody = errorBody
        if status == 200 {
            let log = log
            self.reader = Task { await reader(log) }
        } else {
            self.reader = nil
        }
    }

    /// Opens `url` with `key`, sending `Last-Event-ID` when given; returns once the response head arrived.
    static func open(_ url: String, key: String, lastEventID: Int64? = nil) async throws -> EventStreamClient {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .minutes(30))
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: 1 << 20)
            return EventStreamClient(status: Int(response.status.code), headers: response.headers,
                                     errorBody: String(buffer: body), reader: { _ in })
        }
        let body = response.body
        return EventStreamClient(status: 200, headers: response.headers, errorBody: "") { log in
            var pending = ""
            do {
                for try await chunk in body {
                    pending += String(buffer: chunk)
                    while let end = pending.range(of: "\n\n") {
                        let block = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        await Self.parse(block, into: log)
                    }
                }
            } catch {}
            await log.end()
        }
    }

    private static func parse(_ block: String, into log: Log) async {
        var event = Event(id: nil, name: nil, data: "")
        var hasData = false
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(":") { await log.comment(String(line.dropFirst())); continue }
            let (field, value) = line.firstIndex(of: ":").map {
                (String(line[..<$0]), String(line[line.index(after: $0)...]).trimmingPrefix(" "))
            } ?? (String(line), "")
            switch field {
            case "id": event.id = Int64(value)
            case "event": event.name = String(value)
            case "data":
                event.data += (hasData ? "\n" : "") + value
                hasData = true
            case "retry": if let retry = Int(value) { await log.setRetry(retry) }
            default: break
            }
        }
        if hasData { await log.add(event) }
    }

    var events: [Event] { get async { await log.events } }

    /// Ends the subscription, as a client dropping its connection does.
    func close() {
        reader?.cancel()
    }
}

private extension String {
    func trimmingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
