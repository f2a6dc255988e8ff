import CatalogServer
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// One sample of a Prometheus text exposition: `name{label="value",…} value`.
struct PrometheusSample: Equatable {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// A strict parser of Prometheus's text exposition format (version 0.0.4): every line is a
/// `# HELP`/`# TYPE` comment, another comment, a blank line or a sample; a family's TYPE comes
/// before its samples and only once; histograms have cumulative buckets ending in `le="+Inf"`
/// equal to `_count`. Anything else is an error naming the line.
struct PrometheusExposition {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    var types: [String: String] = [:]
    var samples: [PrometheusSample] = []

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(description: "the exposition does not end in a newline") }
        var sampled: Set<String> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                if words.count >= 3, words[1] == "TYPE" {
                    let name = String(words[2])
                    guard words.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(words[3]) else {
                        throw ParseError(description: "line \(number): bad TYPE: \(line)")
                    }
                    guard types[name] == nil, !sampled.contains(name) else {
                        throw ParseError(description: "line \(number): TYPE of \(name) repeated or after its samples")
                    }
                    types[name] = String(words[3])
                }
                continue
            }
            let sample = try Self.sample(String(line), line: number)
            sampled.insert(family(of: sample.name))
            samples.append(sample)
        }
        try checkHistograms()
    }

    /// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to it.
    func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" || types[base] == "summary" { return base }
        }
        return name
    }

    func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .map(\.value)
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = values(name, labels)
        return found.count == 1 ? found[0] : nil
    }

    private func checkHistograms() throws {
        for (name, type) in types where type == "histogram" {
            var series: [[String: String]: [(le: Double, count: Double)]] = [:]
            for sample in samples where sample.name == name + "_bucket" {
                guard let le = sample.labels["le"], let bound = Self.number(le) else {
                    throw ParseError(description: "\(name)_bucket without a numeric le label")
                }
                var key = sample.labels
                key["le"] = nil
                series[key, default: []].append((bound, sample.value))
            }
            for (labels, buckets) in series {
                let sorted = buckets.sorted { $0.le < $1.le }
                guard sorted.last?.le == .infinity else { throw ParseError(description: "\(name)\(labels) has no +Inf bucket") }
                for (lower, upper) in zip(sorted, sorted.dropFirst()) where lower.count > upper.count {
                    throw ParseError(description: "\(name)\(labels): buckets are not cumulative")
                }
                guard value(name + "_count", labels) == sorted.last?.count else {
                    throw ParseError(description: "\(name)\(labels): _count differs from the +Inf bucket")
                }
                guard value(name + "_sum", labels) != nil else { throw ParseError(description: "\(name)\(labels) has no _sum") }
            }
        }
    }

    static func number(_ text: String) -> Double? {
        switch text {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text)
        }
    }

    private static func isNameStart(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c == "_" || c == ":") }
    private static func isName(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }

    private static func sample(_ line: String, line lineNumber: Int) throws -> PrometheusSample {
        func fail(_ why: String) -> ParseError { ParseError(description: "line \(lineNumber): \(why): \(line)") }
        var rest = Substring(line)
        guard let first = rest.first, isNameStart(first) else { throw fail("bad metric name") }
        let name = String(rest.prefix(while: isName))
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let start = rest.first, isNameStart(start), !(start == ":") else { throw fail("bad label name") }
                let label = String(rest.prefix(while: { isName($0) && $0 != ":" }))
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw fail("label \(label) without =\"") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let c = rest.popFirst() else { throw fail("unterminated label value") }
                    if c == "\"" { break }
                    if c == "\\" {
                        switch rest.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape in a label value")
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("label \(label) repeated") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or }") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no space before the value") }
        let fields = rest.dropFirst().split(separator: " ")
        guard (1...2).contains(fields.count), let value = number(String(fields[0])) else { throw fail("bad value") }
        if fields.count == 2, Int64(fields[1]) == nil { throw fail("bad timestamp") }
        return PrometheusSample(name: name, labels: labels, value: value)
    }
}

@Suite("GET /metrics")
struct MetricsTests {
    @Test("the parser refuses what is not the exposition format")
    func parserRefusesGarbage() {
        for text in ["metric 1", "9metric 1\n", "m{a=\"1} 2\n", "m{a=\"1\"} x\n", "m{a=\"1\",a=\"2\"} 1\n",
                     "# TYPE m counter\n# TYPE m counter\n", "m 1\n# TYPE m counter\n",
                     "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n"] {
            #expect(throws: PrometheusExposition.ParseError.self, "\(text)") { try PrometheusExposition(text) }
        }
        #expect(throws: Never.self) {
            try PrometheusExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 3.5\n")
        }
    }

    @Test("a scrape parses, and counts requests by route and status, durations, snapshot, listener and pool")
    func scrape() async throws {
        let setup = try await TestCatalog.make()
        await setup.close()
        let metrics = CatalogMetrics()
        let replica = try await Replica.start(conninfo: setup.conninfo, name: "metrics", metrics: metrics)
        try await replica.app.test(.router) { client in
            for _ in 0..<3 { #expect(try await client.json("/model/info").status == .ok) }
            #expect(try await client.json("/model/info", headers: [:]).status == .unauthorized)
            #expect(try await client.json("/no/such/route/4711").status == .notFound)
            let created = try await client.json("/model/new", method: .post, body: ReplicaTests.newModel("metrics-model"))
            #expect(created.status == .ok)
            // The write's notification reaches this replica's listener.
            try await eventually("the listener counts a notification") {
                let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                return (try PrometheusExposition(text).value("catalog_listener_notifications_total") ?? 0) >= 1
            }

            let response = try await client.execute(uri: "/metrics", method: .get) { $0 }
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            let exposition = try PrometheusExposition(text)

            #expect(exposition.types["http_requests_total"] == "counter")
            #expect(exposition.value("http_requests_total", ["method": "GET", "route": "/model/info", "status": "200"]) == 3)
            #expect(exposition.value("http_requests_total", ["method": "GET", "route": "/model/info", "status": "401"]) == 1)
            #expect(exposition.value("http_requests_total", ["method": "GET", "route": "NotFound", "status": "404"]) == 1)
            #expect(exposition.value("http_requests_total", ["method": "POST", "route": "/model/new", "status": "200"]) == 1)
            // No raw path becomes a label value.
            #expect(!text.contains("4711"))
            #expect(exposition.types["http_request_duration_seconds"] == "histogram")
            #expect(exposition.value("http_request_duration_seconds_count", ["method": "GET", "route": "/model/info"]) == 4)
            #expect((exposition.value("http_request_duration_seconds_sum", ["method": "GET", "route": "/model/info"]) ?? 0) > 0)

            let snapshot = replica.cache.store.snapshot
            #expect(exposition.value("catalog_snapshot_seq") == Double(snapshot.seq))
            #expect(snapshot.seq > 0)
            #expect(exposition.value("catalog_snapshot_deployments") == Double(snapshot.deployments.count))
            #expect(exposition.value("catalog_listener_connected") == 1)
            #expect(exposition.types["catalog_listener_reconnects_total"] == nil
                || exposition.value("catalog_listener_reconnects_total") == 0)
            #expect(exposition.value("catalog_pool_connections_max") == 4)
            #expect(exposition.value("catalog_pool_callers_waiting") == 0)
            #expect(exposition.value("catalog_pool_connections_in_use") != nil)
            // Nothing secret: no key, no api_key.
            #expect(!text.contains(TestCatalog.masterKey))
        }
        await replica.close()
    }
}
