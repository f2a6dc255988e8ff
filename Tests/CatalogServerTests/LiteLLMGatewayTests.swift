import CatalogStore
import Foundation
import Postgres
import Testing
import TestSupport

/// Stock LiteLLM proxies (`litellm[proxy]==1.108.7` from PyPI) fed by the catalog through
/// `integrations/litellm/` (issue 13, item 3): the integration's own pytest suite, and end to end
/// two `litellm --config …` proxies, a fake OpenAI-compatible upstream that records each request's
/// `Authorization` and model (`integrations/litellm/tests/fake_upstream.py`), and `model-catalog
/// serve`, stopped and restarted on its database and port while the proxies keep routing.
@Suite("Stock LiteLLM proxies fed by the catalog", .serialized)
struct LiteLLMGatewayTests {
    static let integration = ServerProcess.repositoryRoot.appendingPathComponent("integrations/litellm").path
    /// Fewer passing tests than this means pytest lost some: a pass would mean less than it says.
    static let minimumPytestPasses = 16

    /// The environment of the Python children: no bytecode or pytest cache written into the
    /// repository, and nothing sent through an HTTP proxy.
    static var pythonEnvironment: [String: String] {
        PythonVirtualEnvironment.processEnvironment.merging([
            "PYTHONDONTWRITEBYTECODE": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        ]) { _, new in new }
    }

    /// Runs a long-lived Python child (`python -c unmasked program args…`) with no signal blocked:
    /// `posix_spawn` hands children the spawning thread's signal mask, in which the test runner
    /// blocks SIGTERM, so a Python server would never hear the SIGTERM that stops it. The mask
    /// is cleared, then the program exec'd (exec keeps the cleared mask).
    static let unmasked = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); os.execv(sys.argv[1], sys.argv[1:])"

    @Test("the integration's own tests pass (pytest, a fake catalog, a real litellm Router)", .timeLimit(.minutes(20)))
    func integrationUnitTests() async throws {
        let python = try await PythonVirtualEnvironment.liteLLMProxy.prepare()
        let run = try await ChildProcess.run(
            python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], environment: Self.pythonEnvironment,
            timeout: .seconds(900), workingDirectory: Self.integration)
        #expect(run.termination == .exited(0), "pytest failed (\(run.termination)):\n\(run.output.suffix(10000))")
        let passed = run.output.firstMatch(of: /(\d+) passed/).flatMap { Int($0.1) } ?? 0
        #expect(passed >= Self.minimumPytestPasses, "only \(passed) pytest tests passed:\n\(run.output.suffix(3000))")
    }

    @Test("two LiteLLM proxies route what the catalog says, live, and keep routing while it is down",
          .timeLimit(.minutes(20)))
    func endToEnd() async throws {
        let python = try await PythonVirtualEnvironment.liteLLMProxy.prepare()
        let conninfo = try await TestDatabase.fresh()
        let masterKey = "sk-gateway-e2e-\(UUID().uuidString.lowercased())"
        let catalogEnvironment = ["LITELLM_MASTER_KEY": masterKey, "CATALOG_SECRET_KEY": SecretKey.generate().base64]
        // The literal provider keys: they must reach the upstream, and no log line.
        let upstreamKey = "sk-upstream-literal-\(UUID().uuidString.lowercased())"
        let laterKey = "sk-upstream-later-\(UUID().uuidString.lowercased())"
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var children = Children()

        do {
            let first = try await FakeUpstream.start(python: python, name: "first", children: &children)
            let second = try await FakeUpstream.start(python: python, name: "second", children: &children)
            var catalog = try await ServerProcess.start(["--database-url", conninfo, "--pool-size", "4"],
                                                        environment: catalogEnvironment)
            children.catalog = catalog
            let catalogPort = catalog.port

            let generated = try await catalog.request("POST", "/key/generate", key: masterKey,
                                                      json: #"{"role":"gateway","key_alias":"litellm-e2e"}"#)
            try #require(generated.status == 200, "a gateway key: \(generated.status) \(generated.text)")
            let gatewayKey = try #require((generated.json() as? [String: Any])?["key"] as? String)

            // A model before the proxies start: they load it from the snapshot.
            try await Self.write(catalog, masterKey, "/model/new", Self.model("e2e-initial", "e2e-initial", first, upstreamKey))

            let config = directory.path + "/litellm-config.yaml"
            try """
                model_list: []
                litellm_settings:
                  callbacks: ["modelcatalog_litellm.catalog_feed"]

                """.write(toFile: config, atomically: true, encoding: .utf8)
            let proxyKey = "sk-proxy-\(UUID().uuidString.lowercased())"
            let proxyEnvironment = Self.pythonEnvironment.merging([
                "CATALOG_URL": catalog.baseURL, "CATALOG_GATEWAY_KEY": gatewayKey, "LITELLM_MASTER_KEY": proxyKey,
                "PYTHONPATH": Self.integration, "HOME": directory.path,
            ]) { _, new in new }
            let proxies = try await LiteLLMProxy.startAll(
                count: 2, venv: PythonVirtualEnvironment.liteLLMProxy, config: config, environment: proxyEnvironment,
                key: proxyKey, workingDirectory: directory.path, children: &children)

            // Loaded from the snapshot at start.
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-initial", to: first, withKey: upstreamKey, upstreamModel: "e2e-initial")
            }

            // Added through the API: routed by both, with its literal key.
            try await Self.write(catalog, masterKey, "/model/new", Self.model("e2e-1", "e2e-live", first, upstreamKey))
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-live", to: first, withKey: upstreamKey, upstreamModel: "e2e-live")
            }

            // Its api_base changed: the calls go to the second upstream.
            try await Self.write(catalog, masterKey, "/model/update",
                                 #"{"model_info":{"id":"e2e-1"},"litellm_params":{"api_base":"\#(second.apiBase)"}}"#)
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-live", to: second, withKey: upstreamKey, upstreamModel: "e2e-live")
            }

            // Deleted: refused by both, and nothing reaches an upstream.
            try await Self.write(catalog, masterKey, "/model/delete", #"{"id":"e2e-1"}"#)
            for proxy in proxies { try await proxy.expectRefuses("e2e-live", upstreams: [first, second]) }

            // Two more, then the catalog stops: the proxies keep routing.
            try await Self.write(catalog, masterKey, "/model/new", Self.model("e2e-2", "e2e-moved", first, upstreamKey))
            try await Self.write(catalog, masterKey, "/model/new", Self.model("e2e-3", "e2e-doomed", first, upstreamKey))
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-moved", to: first, withKey: upstreamKey, upstreamModel: "e2e-moved")
                try await proxy.expectRoutes("e2e-doomed", to: first, withKey: upstreamKey, upstreamModel: "e2e-doomed")
            }
            await catalog.stop()
            let catalogLog = catalog.output
            children.catalog = nil
            // Past several of the feeds' retries (their backoff is capped at 2 s): still routing.
            let down = ContinuousClock.now
            while ContinuousClock.now - down < .seconds(4) {
                for proxy in proxies {
                    let reply = try await proxy.chat("e2e-initial")
                    #expect(reply.status == 200, "\(proxy.name) refused a call while the catalog was down: \(reply.text)")
                }
                await pause(.milliseconds(250))
            }

            // Written while it is down, with plain SQL on its database.
            let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
            do {
                try await pool.query("""
                    UPDATE models SET litellm_params = litellm_params || jsonb_build_object('api_base', \(second.apiBase)::text)
                    WHERE id = \("e2e-2")
                    """)
                try await pool.query("DELETE FROM models WHERE id = \("e2e-3")")
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }

            // Restarted on the same database and port: the proxies catch up.
            catalog = try await ServerProcess.start(
                ["--database-url", conninfo, "--pool-size", "4", "--port", String(catalogPort)], environment: catalogEnvironment)
            children.catalog = catalog
            try #require(catalog.port == catalogPort, "the catalog restarted on port \(catalog.port), not \(catalogPort)")
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-moved", to: second, withKey: upstreamKey, upstreamModel: "e2e-moved")
                try await proxy.expectRefuses("e2e-doomed", upstreams: [first, second])
            }
            // And follow the restarted catalog's writes.
            try await Self.write(catalog, masterKey, "/model/new", Self.model("e2e-4", "e2e-after", first, laterKey))
            for proxy in proxies {
                try await proxy.expectRoutes("e2e-after", to: first, withKey: laterKey, upstreamModel: "e2e-after")
            }

            // The provider keys went to the upstream only: no log of the catalog's or the proxies' holds one.
            let logs = [("the catalog (first run)", catalogLog), ("the catalog (second run)", catalog.output)]
                + proxies.map { ($0.name, $0.process.output + $0.process.errors) }
            for (name, log) in logs {
                #expect(!log.contains(upstreamKey) && !log.contains(laterKey), "the log of \(name) holds a provider key")
                #expect(!log.contains(gatewayKey), "the log of \(name) holds the gateway key")
            }
            await children.stopAll()
        } catch {
            await children.stopAll()
            throw error
        }
    }

    // MARK: Helpers

    static func model(_ id: String, _ name: String, _ upstream: FakeUpstream, _ key: String) -> String {
        #"{"model_name":"\#(name)","litellm_params":{"model":"openai/\#(name)","api_base":"\#(upstream.apiBase)","api_key":"\#(key)"},"model_info":{"id":"\#(id)"}}"#
    }

    static func write(_ catalog: ServerProcess, _ key: String, _ path: String, _ body: String,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await catalog.request("POST", path, key: key, json: body)
        try #require(response.status == 200, "POST \(path): \(response.status) \(response.text)", sourceLocation: sourceLocation)
    }
}

/// Every child the end-to-end test started, stopped at the end whatever happens.
struct Children {
    var others: [ChildProcess] = []
    var catalog: ServerProcess?

    mutating func stopAll() async {
        if let catalog { await catalog.stop() }
        catalog = nil
        for child in others.reversed() { await child.stop(signal: SIGTERM, timeout: .seconds(20)) }
        others = []
    }
}

/// `integrations/litellm/tests/fake_upstream.py`: an OpenAI-compatible upstream on 127.0.0.1
/// that records each request's Authorization header and model.
struct FakeUpstream: Sendable {
    let name: String
    let port: Int
    var apiBase: String { "http://127.0.0.1:\(port)/v1" }
    private var client: ServerProcess

    static func start(python: String, name: String, children: inout Children) async throws -> FakeUpstream {
        let script = LiteLLMGatewayTests.integration + "/tests/fake_upstream.py"
        let process = try ChildProcess.spawn(
            python, ["-c", LiteLLMGatewayTests.unmasked, python, script, "--port", "0", "--name", name],
            environment: LiteLLMGatewayTests.pythonEnvironment)
        children.others.append(process)
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let port = ServerProcess.listeningPort(in: process.output) {
                // The same HTTP helper as the catalog's: only its base URL matters here.
                return FakeUpstream(name: name, port: port, client: ServerProcess(process: process, port: port))
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                throw ChildProcess.SpawnError(description: "fake upstream \(name) did not start: \(process.output.suffix(3000))")
            }
            await pause(.milliseconds(50))
        }
    }

    /// What it recorded: path, model, authorization, upstream name.
    func requests() async throws -> [[String: Any]] {
        try #require(try await client.request("GET", "/_requests").json() as? [[String: Any]])
    }

    func clear() async throws {
        _ = try await client.request("DELETE", "/_requests")
    }
}

/// One `litellm --config … --port 0` proxy loading the integration.
struct LiteLLMProxy: Sendable {
    let name: String
    let process: ChildProcess
    let port: Int
    let key: String
    private var client: ServerProcess { ServerProcess(process: process, port: port) }

    /// Starts `count` proxies at once (each takes LiteLLM's start-up time, 15 s and more), and
    /// waits until each answers its liveliness probe.
    static func startAll(count: Int, venv: PythonVirtualEnvironment, config: String, environment: [String: String],
                         key: String, workingDirectory: String, children: inout Children) async throws -> [LiteLLMProxy] {
        var started: [(String, ChildProcess)] = []
        for index in 1...count {
            let process = try ChildProcess.spawn(
                venv.python, ["-c", LiteLLMGatewayTests.unmasked, venv.executable("litellm"),
                              "--config", config, "--host", "127.0.0.1", "--port", "0"],
                environment: environment, workingDirectory: workingDirectory, separateStderr: true)
            children.others.append(process)
            started.append(("proxy \(index)", process))
        }
        var proxies: [LiteLLMProxy] = []
        let deadline = ContinuousClock.now + .seconds(300)
        for (name, process) in started {
            var port: Int?
            while port == nil {
                let log = process.output + process.errors
                if let range = log.range(of: "Uvicorn running on http://127.0.0.1:") {
                    port = Int(log[range.upperBound...].prefix { $0.isNumber })
                }
                if port != nil { break }
                guard process.isRunning, ContinuousClock.now < deadline else {
                    throw ChildProcess.SpawnError(description: """
                        \(name) did not start (\(process.poll().map { "\($0)" } ?? "still running")):
                        \((process.output + process.errors).suffix(6000))
                        """)
                }
                await pause(.milliseconds(100))
            }
            let proxy = LiteLLMProxy(name: name, process: process, port: port!, key: key)
            try await eventually("\(name) answers /health/liveliness", timeout: .seconds(60)) {
                (try? await proxy.client.request("GET", "/health/liveliness"))?.status == 200
            }
            proxies.append(proxy)
        }
        return proxies
    }

    func chat(_ model: String) async throws -> ServerProcess.HTTPResponse {
        try await client.request("POST", "/chat/completions", key: key,
                                 json: #"{"model":"\#(model)","messages":[{"role":"user","content":"hello"}]}"#, timeout: 30)
    }

    /// Polls until a call for `model` is answered by `upstream` (a change takes a moment to
    /// arrive), then checks what the upstream received, and that the next calls go there too.
    func expectRoutes(_ model: String, to upstream: FakeUpstream, withKey apiKey: String, upstreamModel: String,
                      sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var last = ""
        while true {
            let reply = try await chat(model)
            last = "\(reply.status) \(reply.text.prefix(300))"
            if reply.status == 200, Self.answerer(reply) == upstream.name { break }
            guard ContinuousClock.now < deadline else {
                Issue.record("\(name) did not route \(model) to \(upstream.name) within 30 s; last answer: \(last)",
                             sourceLocation: sourceLocation)
                return
            }
            await pause(.milliseconds(20))
        }
        try await upstream.clear()
        for _ in 1...3 {
            let reply = try await chat(model)
            #expect(reply.status == 200 && Self.answerer(reply) == upstream.name,
                    "\(name): a later call for \(model) went elsewhere: \(reply.status) \(reply.text.prefix(300))",
                    sourceLocation: sourceLocation)
        }
        let received = try await upstream.requests()
        #expect(received.count == 3, "\(upstream.name) received \(received.count) of 3 calls", sourceLocation: sourceLocation)
        for request in received {
            #expect(request["authorization"] as? String == "Bearer \(apiKey)",
                    "\(upstream.name) got another Authorization for \(model) through \(name)", sourceLocation: sourceLocation)
            #expect(request["model"] as? String == upstreamModel,
                    "\(upstream.name) got model \(request["model"] ?? "nil"), not \(upstreamModel)", sourceLocation: sourceLocation)
        }
    }

    /// Polls until a call for `model` is refused, then checks that the next ones are refused too
    /// and that no upstream hears of them.
    func expectRefuses(_ model: String, upstreams: [FakeUpstream], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await eventually("\(name) refuses \(model)", timeout: .seconds(30)) {
            try await chat(model).status != 200
        }
        for upstream in upstreams { try await upstream.clear() }
        for _ in 1...3 {
            let reply = try await chat(model)
            #expect((400..<500).contains(reply.status), "\(name) answered \(reply.status) for \(model): \(reply.text.prefix(300))",
                    sourceLocation: sourceLocation)
        }
        for upstream in upstreams {
            #expect(try await upstream.requests().isEmpty, "\(upstream.name) was called for the deleted \(model)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Which fake upstream wrote the answer ("hello from NAME").
    static func answerer(_ reply: ServerProcess.HTTPResponse) -> String? {
        let choices = (reply.json() as? [String: Any])?["choices"] as? [[String: Any]]
        let content = (choices?.first?["message"] as? [String: Any])?["content"] as? String
        return content.flatMap { $0.hasPrefix("hello from ") ? String($0.dropFirst("hello from ".count)) : nil }
    }
}
