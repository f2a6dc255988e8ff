import Foundation
import Testing
import TestSupport

/// The `model-catalog` executable run as a process: signals, the embedded database's lifecycle,
/// config errors, replicas sharing a database, and the OpenAI Python SDK as a client.
@Suite("Server processes", .serialized)
struct ProcessTests {
    static let fixtures = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/litellm")

    @Test("the OpenAI Python SDK lists /v1/models and retrieves one model", .timeLimit(.minutes(10)))
    func openAIPythonSDK() async throws {
        let python = try await PythonVirtualEnvironment.openAI.prepare()
        let script = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Scripts/openai_models.py").path
        let reference = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("v1_models.json")))
                as? [String: Any])
        let referenceModels = try #require(reference["data"] as? [[String: Any]])
        let referenceIDs = referenceModels.compactMap { $0["id"] as? String }
        try #require(referenceIDs.count == 40)

        let conninfo = try await TestDatabase.fresh()
        let config = Self.fixtures.appendingPathComponent("config.yaml").path
        // The reference config has literal api_keys: they are sealed under the service's secret key.
        let secretKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try await ServerProcess.with(
            ["--config", config, "--database-url", conninfo, "--pool-size", "4"],
            environment: ["CATALOG_SECRET_KEY": secretKey]
        ) { server in
            let run = try await ChildProcess.run(
                python, [script, "--base-url", server.baseURL + "/v1", "--api-key", "sk-1234"],
                environment: ServerProcess.environment(["NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"]),
                timeout: .seconds(120), separateStderr: true)
            try #require(run.termination == .exited(0), "openai_models.py failed (\(run.termination)):\n\(run.errors)\n\(run.output)")
            let lastLine = try #require(run.output.split(separator: "\n").last.map(String.init), "openai_models.py printed nothing")
            let result = try #require(
                try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any], "not JSON: \(lastLine)")

            let ids = try #require(result["ids"] as? [String])
            #expect(ids.count == referenceIDs.count, "listed \(ids.count) models, the reference lists \(referenceIDs.count)")
            #expect(Set(ids) == Set(referenceIDs), """
                missing: \(Set(referenceIDs).subtracting(ids).sorted()), unexpected: \(Set(ids).subtracting(referenceIDs).sorted())
                """)

            let retrieved = try #require(result["retrieved"] as? [String: Any])
            let asked = try #require(ids.first)
            #expect(retrieved["id"] as? String == asked)
            #expect(retrieved["object"] as? String == "model")
            let expectedOwner = referenceModels.first { $0["id"] as? String == asked }?["owned_by"] as? String
            #expect(retrieved["owned_by"] as? String == expectedOwner)

            let unknown = try #require(result["unknown"] as? [String: Any])
            #expect(unknown["error"] as? String == "NotFoundError")
            #expect(unknown["status_code"] as? Int == 404)
        }
    }

    @Test("a model added through one server process is read through another on the same database")
    func twoProcessesShareTheDatabase() async throws {
        let conninfo = try await TestDatabase.fresh()
        let arguments = ["--database-url", conninfo, "--pool-size", "4"]
        let environment = ["LITELLM_MASTER_KEY": "sk-test"]
        try await ServerProcess.with(arguments, environment: environment) { a in
            try await ServerProcess.with(arguments, environment: environment) { b in
                #expect(a.port != b.port)
                let created = try await a.request("POST", "/model/new", key: "sk-test", json: """
                    {"model_name":"azure-gpt-turbo","litellm_params":{"model":"azure/gpt-3.5-turbo",\
                    "api_key":"os.environ/AZURE_API_KEY","api_base":"my-azure-api-base"}}
                    """)
                try #require(created.status == 200, "POST /model/new on A: \(created.status) \(created.text)")

                // The catalog lives in the database: B sees the model at once (allow a moment
                // should a replica ever cache).
                var found: [String: Any]?
                var last: ServerProcess.HTTPResponse?
                let deadline = ContinuousClock.now + .seconds(5)
                repeat {
                    let response = try await b.request("GET", "/model/info", key: "sk-test")
                    last = response
                    if response.status == 200, let body = response.json() as? [String: Any],
                       let data = body["data"] as? [[String: Any]] {
                        found = data.first { $0["model_name"] as? String == "azure-gpt-turbo" }
                    }
                    if found == nil { await pause(.milliseconds(200)) }
                } while found == nil && ContinuousClock.now < deadline
                let response = try #require(last)
                #expect(response.status == 200)
                let model = try #require(found, "GET /model/info on B does not list azure-gpt-turbo: \(response.text.prefix(2000))")
                let params = model["litellm_params"] as? [String: Any]
                #expect(params?["model"] as? String == "azure/gpt-3.5-turbo")
                #expect(params?["api_base"] as? String == "my-azure-api-base")
                #expect(!Self.containsKey("api_key", in: response.json() as Any), "api_key in \(response.text.prefix(2000))")
                #expect(!response.text.contains("AZURE_API_KEY"))
            }
        }
    }

    struct BrokenConfig: Sendable, CustomTestStringConvertible {
        var name: String
        var yaml: String
        /// The line (1-based) the error must name.
        var line: Int
        /// Text the error must contain besides the file and line.
        var mentions: String
        var testDescription: String { name }
    }

    static let brokenConfigs = [
        BrokenConfig(name: "a model without litellm_params.model", yaml: """
            general_settings:
              master_key: sk-1234
            model_list:
              - model_name: good
                litellm_params:
                  model: openai/gpt-4o
              - model_name: missing-model
                litellm_params:
                  api_key: os.environ/OPENAI_API_KEY
                  rpm: 10

            """, line: 8, mentions: "model_list[1].litellm_params.model"),
        BrokenConfig(name: "invalid YAML", yaml: """
            general_settings:
              master_key: sk-1234
            model_list:
              - model_name: good
                litellm_params:
                  model: openai/gpt-4o
              - model_name: bad: value
                litellm_params:
                  model: openai/gpt-4o

            """, line: 7, mentions: "YAML"),
    ]

    @Test("a config error stops serve with the file, line and field", arguments: brokenConfigs)
    func configErrorStopsTheService(_ broken: BrokenConfig) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/config.yaml"
        try broken.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let conninfo = try await TestDatabase.fresh()
        let run = try await ServerProcess.run(
            ["serve", "--host", "127.0.0.1", "--port", "0", "--config", path, "--database-url", conninfo, "--pool-size", "2"],
            environment: ["LITELLM_MASTER_KEY": "sk-test"], timeout: .seconds(30))
        guard case .exited(let code) = run.termination else {
            Issue.record("serve did not exit normally: \(run.termination)\n\(run.output)")
            return
        }
        #expect(code != 0, "serve exited 0 on a broken config:\n\(run.output)")
        #expect(run.output.contains("\(path):\(broken.line)"), "no \(path):\(broken.line) in:\n\(run.output)")
        #expect(run.output.contains(broken.mentions), "no \(broken.mentions) in:\n\(run.output)")
        #expect(!run.output.contains("listening on"), "serve listened despite the broken config:\n\(run.output)")
    }

    @Test("serve with no database URL runs its PostgreSQL, keeps the key and data, and stops it on SIGINT",
          .timeLimit(.minutes(5)))
    func embeddedLifecycle() async throws {
        let dataDir = try TemporaryDirectory()
        defer {
            EmbeddedCluster.stopLeftover(in: dataDir.path)
            dataDir.remove()
        }
        let keyPath = dataDir.path + "/master_key"
        let pidPath = dataDir.path + "/postgres/postmaster.pid"
        let arguments = ["--data-dir", dataDir.path, "--pool-size", "4"]

        let key = try await ServerProcess.with(arguments) { server -> String in
            let key = try #require(
                (try? String(contentsOfFile: keyPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines),
                "no \(keyPath) after the first start")
            try #require(!key.isEmpty)
            var info = stat()
            #expect(stat(keyPath, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8)) of \(keyPath)")

            #expect(try await server.request("GET", "/model/info").status == 401)
            #expect(try await server.request("GET", "/model/info", key: "sk-not-the-key").status == 401)
            #expect(try await server.request("GET", "/model/info", key: key).status == 200)
            let created = try await server.request("POST", "/model/new", key: key, json: """
                {"model_name":"lifecycle-model","litellm_params":{"model":"openai/gpt-4o-mini"}}
                """)
            #expect(created.status == 200, "POST /model/new: \(created.text)")
            #expect(try await Self.modelNames(server, key: key).contains("lifecycle-model"))

            let postmaster = try #require(EmbeddedCluster.postmasterPID(pidPath), "no PostgreSQL running in \(dataDir.path)")
            #expect(EmbeddedCluster.isAlive(postmaster))
            let termination = await server.stop(signal: SIGINT, timeout: .seconds(15))
            #expect(termination == .exited(0))
            #expect(!FileManager.default.fileExists(atPath: pidPath), "postmaster.pid left behind: PostgreSQL still runs")
            #expect(!EmbeddedCluster.isAlive(postmaster), "PostgreSQL (pid \(postmaster)) still runs")

            let output = server.output
            #expect(!output.contains(key), "the master key was printed")
            #expect(output.contains(keyPath), "the key file's path was not logged:\n\(output.suffix(3000))")
            return key
        }

        try await ServerProcess.with(arguments) { (server: ServerProcess) async throws in
            let reread = (try? String(contentsOfFile: keyPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(reread == key, "the key file changed on the second start")
            #expect(try await server.request("GET", "/model/info", key: key).status == 200)
            #expect(try await Self.modelNames(server, key: key).contains("lifecycle-model"), "the model posted before is gone")

            let termination = await server.stop(signal: SIGTERM, timeout: .seconds(15))
            #expect(termination == .exited(0))
            #expect(!FileManager.default.fileExists(atPath: pidPath))
            #expect(!server.output.contains(key), "the master key was printed")
        }
    }

    @Test("an external database needs a master key, unless --insecure-no-auth")
    func externalDatabaseWithoutMasterKey() async throws {
        let conninfo = try await TestDatabase.fresh()
        let refused = try await ServerProcess.run(
            ["serve", "--host", "127.0.0.1", "--port", "0", "--database-url", conninfo, "--pool-size", "2"],
            timeout: .seconds(30))
        guard case .exited(let code) = refused.termination else {
            Issue.record("serve did not exit normally: \(refused.termination)\n\(refused.output)")
            return
        }
        #expect(code != 0, "serve started without a master key:\n\(refused.output)")
        #expect(refused.output.contains("LITELLM_MASTER_KEY"), "\(refused.output)")
        #expect(!refused.output.contains("listening on"))

        try await ServerProcess.with(["--database-url", conninfo, "--pool-size", "2", "--insecure-no-auth"]) { server in
            let response = try await server.request("GET", "/model/info")
            #expect(response.status == 200, "\(response.text)")
            #expect((response.json() as? [String: Any])?["data"] is [Any])
        }
    }

    // MARK: - Helpers

    static func modelNames(_ server: ServerProcess, key: String) async throws -> [String] {
        let response = try await server.request("GET", "/model/info", key: key)
        try #require(response.status == 200, "GET /model/info: \(response.status) \(response.text)")
        let data = try #require((response.json() as? [String: Any])?["data"] as? [[String: Any]])
        return data.compactMap { $0["model_name"] as? String }
    }

    static func containsKey(_ key: String, in json: Any) -> Bool {
        if let object = json as? [String: Any] {
            return object.keys.contains(key) || object.values.contains { containsKey(key, in: $0) }
        }
        if let array = json as? [Any] { return array.contains { containsKey(key, in: $0) } }
        return false
    }
}

/// A new directory under /tmp with a short path (the embedded server's Unix socket lives inside).
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/mc-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ChildProcess.SpawnError(description: "mkdtemp failed (errno \(errno))")
        }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The embedded PostgreSQL that `serve` runs in a data directory, seen from outside.
enum EmbeddedCluster {
    /// The postmaster's pid, from the first line of postmaster.pid.
    static func postmasterPID(_ pidFile: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Whether `pid` runs (a zombie, waiting for a parent that may never reap it, does not).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return kill(pid, 0) == 0
        }
        // "pid (comm) S ...": the state follows the last ')'.
        guard let close = status.lastIndex(of: ")") else { return true }
        let state = status[status.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Stops a PostgreSQL left running in `dataDir` (by a test that failed half-way): SIGQUIT
    /// (immediate shutdown), then SIGKILL, each waited for at most 10 s.
    static func stopLeftover(in dataDir: String) {
        guard let pid = postmasterPID(dataDir + "/postgres/postmaster.pid"), pid > 0, isAlive(pid) else { return }
        Issue.record("PostgreSQL (pid \(pid)) was still running in \(dataDir): stopping it")
        for signal in [SIGQUIT, SIGKILL] {
            kill(pid, signal)
            for _ in 0..<100 where isAlive(pid) { usleep(100_000) }
            if !isAlive(pid) { return }
        }
    }
}
