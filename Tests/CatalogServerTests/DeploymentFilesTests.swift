import Catalog
import CatalogStore
import Foundation
import Postgres
import TestSupport
import Testing
import Yams

/// The files of `docker/` (image, compose file, load balancer), checked without a container
/// engine, which our machines do not run: nginx itself checks `nginx.conf`, the three files are
/// checked against each other, and the real binary is run with the variables compose gives it and
/// with the file layout the image gives it.
@Suite("Deployment files (docker/)")
struct DeploymentFilesTests {
    // MARK: - nginx

    @Test("nginx -t accepts docker/nginx.conf as committed, with the compose service names resolvable")
    func nginxAcceptsTheConfig() async throws {
        let files = try DeploymentFiles.load()
        let nginx = try #require(
            Executables.find("nginx"),
            "nginx is not installed: apt-get install -y nginx (.ci/run installs it)")
        let unshare = try #require(Executables.find("unshare"), "unshare (util-linux) is not installed")
        let replicas = try files.catalogServiceNames()
        try #require(!replicas.isEmpty)

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // nginx resolves upstream names while it reads the file, and compose's service names only
        // resolve on compose's network: a private mount namespace gets a hosts file naming them, so
        // the committed file is tested unchanged and nothing outside this one command sees it.
        func nginxTest(hostNames: [String]) async throws -> (termination: ChildProcess.Termination, output: String) {
            let hosts = directory.path + "/hosts-\(hostNames.count)"
            let lines = ["127.0.0.1 localhost", "::1 localhost"] + hostNames.map { "127.0.0.1 \($0)" }
            try (lines.joined(separator: "\n") + "\n").write(toFile: hosts, atomically: true, encoding: .utf8)
            let run = try await ChildProcess.run(
                unshare, ["-m", "/bin/sh", "-c", #"mount --bind "$1" /etc/hosts && exec "$2" -t -c "$3""#,
                          "sh", hosts, nginx, files.nginxConfPath],
                environment: ServerProcess.environment(), timeout: .seconds(60))
            return (run.termination, run.output)
        }

        let accepted = try await nginxTest(hostNames: replicas)
        #expect(accepted.termination == .exited(0), "nginx -t failed:\n\(accepted.output)")
        #expect(accepted.output.contains("test is successful"), "\(accepted.output)")

        // Without the names the same check fails: it is the names that nginx resolved, so the
        // upstreams really are the compose services (and the namespace trick is not what passed).
        let unresolved = try await nginxTest(hostNames: [])
        #expect(unresolved.termination != .exited(0), "nginx -t passed without the replica names:\n\(unresolved.output)")
        #expect(unresolved.output.contains("host not found in upstream"), "\(unresolved.output)")
    }

    // MARK: - compose

    @Test("compose: PostgreSQL 16 on a volume, two replicas of docker/Dockerfile, nginx with docker/nginx.conf; names and ports agree")
    func composeIsConsistent() throws {
        let files = try DeploymentFiles.load()
        let services = try files.services()

        let postgres = try #require(services["postgres"], "no postgres service")
        #expect(postgres["image"] as? String == "postgres:16")
        let namedVolumes = Set((files.compose["volumes"] as? [String: Any] ?? [:]).keys)
        let dataVolume = (postgres["volumes"] as? [String] ?? []).compactMap { mount -> String? in
            let parts = mount.split(separator: ":").map(String.init)
            return parts.count >= 2 && parts[1] == "/var/lib/postgresql/data" ? parts[0] : nil
        }.first
        #expect(dataVolume.map(namedVolumes.contains) == true,
                "PostgreSQL's data is not on a named volume (volumes: \(postgres["volumes"] ?? "none"), named: \(namedVolumes))")
        let healthcheck = (postgres["healthcheck"] as? [String: Any])?["test"]
        #expect("\(healthcheck ?? "")".contains("pg_isready"), "postgres healthcheck: \(healthcheck ?? "none")")
        #expect(postgres["ports"] == nil, "PostgreSQL is published on the host")

        let replicas = try files.catalogServiceNames()
        #expect(replicas.count == 2, "services built from docker/Dockerfile: \(replicas)")
        let port = try files.servicePort()
        #expect(try files.serveCommand().value(after: "--host") == "0.0.0.0", "the replicas would not be reachable from nginx")
        var environments: [[String: String]] = []
        for name in replicas {
            let service = try #require(services[name])
            let build = service["build"] as? [String: Any]
            #expect(build?["context"] as? String == "..", "\(name) build context")
            #expect(build?["dockerfile"] as? String == "docker/Dockerfile", "\(name) dockerfile")
            let dependsOn = service["depends_on"] as? [String: Any]
            #expect((dependsOn?["postgres"] as? [String: Any])?["condition"] as? String == "service_healthy",
                    "\(name) does not wait for a healthy PostgreSQL")
            #expect(service["ports"] == nil, "\(name) is published on the host, around the load balancer")
            environments.append(try DeploymentFiles.environment(of: service))
        }
        #expect(Set(environments).count == 1, "the replicas' environments differ: \(environments)")

        // The replicas reach the postgres service's database as its user, with its password variable.
        let environment = try #require(environments.first)
        let postgresEnvironment = try DeploymentFiles.environment(of: postgres)
        let conninfo = try Self.conninfoFields(try #require(environment["DATABASE_URL"], "DATABASE_URL is not set"))
        #expect(conninfo["host"] == "postgres")
        #expect(conninfo["port"] == nil || conninfo["port"] == "5432")
        #expect(conninfo["dbname"] == postgresEnvironment["POSTGRES_DB"])
        #expect(conninfo["user"] == postgresEnvironment["POSTGRES_USER"])
        #expect(conninfo["password"].map(Interpolation.variableNames(in:)) == ["POSTGRES_PASSWORD"])
        // Keys come from the user, and compose stops when one is missing: no default ships.
        for (name, value) in [("LITELLM_MASTER_KEY", environment["LITELLM_MASTER_KEY"]),
                              ("CATALOG_SECRET_KEY", environment["CATALOG_SECRET_KEY"]),
                              ("POSTGRES_PASSWORD", postgresEnvironment["POSTGRES_PASSWORD"])] {
            #expect(value.map { Interpolation.isRequiredVariable($0, named: name) } == true,
                    "\(name) is \(value ?? "not set"), not ${\(name):?message}")
        }
        let databaseURL = try #require(environment["DATABASE_URL"])
        #expect(Interpolation.isRequired(databaseURL), "DATABASE_URL takes a variable with a default: \(databaseURL)")

        // nginx: the committed file, read-only, its listen port published; upstreams = the replicas.
        let nginx = try #require(services["nginx"], "no nginx service")
        #expect((nginx["image"] as? String)?.hasPrefix("nginx:") == true)
        let mounts = (nginx["volumes"] as? [String] ?? []).map { $0.split(separator: ":").map(String.init) }
        let configMount = mounts.first { $0.count >= 2 && $0[1] == "/etc/nginx/nginx.conf" }
        #expect(configMount.map { files.resolveFromCompose($0[0]) } == files.nginxConfPath, "nginx mounts \(mounts)")
        #expect(configMount?.count == 3 && configMount?[2] == "ro", "nginx.conf is not mounted read-only: \(mounts)")
        let nginxDependsOn = Set((nginx["depends_on"] as? [String: Any] ?? [:]).keys)
        #expect(nginxDependsOn.isSuperset(of: replicas), "nginx starts before the replicas exist: \(nginxDependsOn)")

        let conf = files.nginxConf
        let published = (nginx["ports"] as? [String] ?? []).compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
        #expect(!conf.listenPorts.isEmpty && Set(conf.listenPorts).isSubset(of: published),
                "nginx listens on \(conf.listenPorts), compose publishes \(published)")
        let upstream = try #require(conf.proxyPassUpstreams.first, "no proxy_pass to an upstream")
        #expect(Set(conf.proxyPassUpstreams) == [upstream], "proxy_pass to several upstreams: \(conf.proxyPassUpstreams)")
        #expect(Set(conf.upstreams[upstream] ?? []) == Set(replicas.map { "\($0):\(port)" }),
                "upstream \(upstream) is \(conf.upstreams[upstream] ?? []), the replicas are \(replicas) on port \(port)")
        #expect(conf.upstreams[upstream]?.count == replicas.count, "a replica is listed twice")

        // The image agrees on the port.
        let runtime = try files.dockerfile.runtimeStage()
        #expect(runtime.all("EXPOSE").flatMap { $0.words }.contains("\(port)"), "the Dockerfile does not EXPOSE \(port)")
        let probe = try #require(runtime.last("HEALTHCHECK"), "no HEALTHCHECK")
        #expect(Self.mentions(port: port, in: probe.arguments), "the HEALTHCHECK does not probe port \(port): \(probe.arguments)")
    }

    // MARK: - the variables compose sets

    /// A variable compose sets on the replicas: the value the test gives it, and how the test sees
    /// that the service used it.
    struct VariableCheck: Sendable {
        var value: @Sendable (Fixture) -> String
        var verify: @Sendable (Fixture, ServerProcess) async throws -> Void
    }

    /// The test's values for the variables.
    struct Fixture: Sendable {
        var conninfo: String
        var masterKey = "sk-deployment-test-master-key"
        var secretKey = SecretKey.generate().base64
        /// The environment compose sets, with the test's values.
        var environment: [String: String] = [:]
    }

    /// Every variable compose may set on the replicas, with its check. A variable compose sets
    /// that is missing here fails the test: it must be shown to do something, or go.
    static let variableChecks: [String: VariableCheck] = [
        "DATABASE_URL": VariableCheck(value: { $0.conninfo }, verify: verifyDatabase),
        "LITELLM_MASTER_KEY": VariableCheck(value: { $0.masterKey }, verify: verifyMasterKey),
        "CATALOG_SECRET_KEY": VariableCheck(value: { $0.secretKey }, verify: verifySecretKey),
    ]

    @Test("every variable compose sets on the replicas is read by the service", .timeLimit(.minutes(5)))
    func composeVariablesAreRead() async throws {
        let files = try DeploymentFiles.load()
        let replica = try #require(try files.catalogServiceNames().first)
        let composed = try DeploymentFiles.environment(of: try #require(try files.services()[replica]))
        let unchecked = Set(composed.keys).subtracting(Self.variableChecks.keys)
        #expect(unchecked.isEmpty, "compose sets \(unchecked.sorted()) and no check here shows the service reads it")
        let missing = Set(Self.variableChecks.keys).subtracting(composed.keys)
        #expect(missing.isEmpty, "compose does not set \(missing.sorted()), which a replica on a shared database needs")

        var fixture = Fixture(conninfo: try await TestDatabase.fresh())
        for name in composed.keys { if let check = Self.variableChecks[name] { fixture.environment[name] = check.value(fixture) } }
        let fixed = fixture
        // Whatever the image's CMD adds to serve beyond where it listens (ServerProcess picks that).
        let arguments = try files.serveCommand().removingOptions(["--host", "--port"]).dropFirst()
        try await ServerProcess.with(Array(arguments), environment: fixed.environment) { server in
            for name in composed.keys.sorted() {
                guard let check = Self.variableChecks[name] else { continue }
                try await check.verify(fixed, server)
            }
        }
    }

    /// DATABASE_URL: a model added through the API is a row of that database.
    static func verifyDatabase(_ fixture: Fixture, _ server: ServerProcess) async throws {
        let created = try await server.request("POST", "/model/new", key: fixture.masterKey, json: """
            {"model_name":"deployment-db","litellm_params":{"model":"openai/gpt-4o-mini"},"model_info":{"id":"deployment-db-1"}}
            """)
        #expect(created.status == 200, "POST /model/new: \(created.status) \(created.text)")
        let rows = try await withPool(fixture.conninfo) { pool in
            try await pool.query("SELECT model_name FROM models WHERE id = \("deployment-db-1")")
        }
        #expect(rows.count == 1, "the model is not in the database of DATABASE_URL")
        #expect(try rows.first?.decode(String.self, "model_name") == "deployment-db")
    }

    /// LITELLM_MASTER_KEY: it is the admin key; no key, or another, is refused.
    static func verifyMasterKey(_ fixture: Fixture, _ server: ServerProcess) async throws {
        let withKey = try await server.request("GET", "/model/info", key: fixture.masterKey)
        #expect(withKey.status == 200, "with LITELLM_MASTER_KEY: \(withKey.status) \(withKey.text)")
        #expect(try await server.request("GET", "/model/info").status == 401)
        #expect(try await server.request("GET", "/model/info", key: fixture.masterKey + "-not").status == 401)
    }

    /// CATALOG_SECRET_KEY: a literal api_key is accepted and sealed under that key; a replica
    /// without the variable refuses it.
    static func verifySecretKey(_ fixture: Fixture, _ server: ServerProcess) async throws {
        let literal = "sk-deployment-literal-\(UUID().uuidString.prefix(8))"
        let body = """
            {"model_name":"deployment-sealed","litellm_params":{"model":"openai/gpt-4o","api_key":"\(literal)"},"model_info":{"id":"deployment-sealed-1"}}
            """
        let created = try await server.request("POST", "/model/new", key: fixture.masterKey, json: body)
        #expect(created.status == 200, "POST /model/new with a literal api_key: \(created.status) \(created.text)")
        #expect(!created.text.contains(literal))
        let key = try SecretKey(base64: fixture.secretKey)
        let (stored, sealedBy, opened) = try await withPool(fixture.conninfo) { pool in
            let stored = try await pool.query("""
                SELECT litellm_params->>'api_key' AS api_key FROM models WHERE id = \("deployment-sealed-1")
                """)
            let sealedBy = try await pool.query("SELECT key_id FROM model_secrets WHERE model_id = \("deployment-sealed-1")")
            let opened = try await ModelRepository(pool: pool, secretKey: key).secrets(id: "deployment-sealed-1").litellmParams
            return (stored, sealedBy, opened)
        }
        #expect(try stored.first?.decode(String.self, "api_key") == "********", "the literal is not replaced in litellm_params")
        #expect(try sealedBy.first?.decode(String.self, "key_id") == key.id, "not sealed under CATALOG_SECRET_KEY")
        #expect(opened[[.key("api_key")]] == .string(literal), "the sealed secret does not open to the literal")

        // The control: the same environment without the key, on a database of its own.
        var environment = fixture.environment
        environment["CATALOG_SECRET_KEY"] = nil
        environment["DATABASE_URL"] = try await TestDatabase.fresh()
        try await ServerProcess.with([], environment: environment) { control in
            let refused = try await control.request("POST", "/model/new", key: fixture.masterKey, json: body)
            #expect((400..<500).contains(refused.status), "without CATALOG_SECRET_KEY: \(refused.status) \(refused.text)")
            #expect(!refused.text.contains(literal))
        }
    }

    // MARK: - Dockerfile

    @Test("Dockerfile: Swift build stage, slim Debian runtime with libpq5, non-root, readiness healthcheck, bundles next to the binary")
    func dockerfileIsProductionShaped() throws {
        let files = try DeploymentFiles.load()
        let dockerfile = files.dockerfile
        try #require(dockerfile.stages.count >= 2, "not a multi-stage build: \(dockerfile.stages.map(\.image))")
        let build = dockerfile.stages[0]
        let runtime = try dockerfile.runtimeStage()

        #expect(build.image.hasPrefix("swift:"), "build stage: \(build.image)")
        #expect(build.name?.lowercased() == "build", "the build stage is not named build")
        // The runtime must have the glibc the binary was linked against: the same Debian release.
        let release = build.image.split(separator: "-").last.map(String.init) ?? ""
        #expect(runtime.image == "debian:\(release)-slim", "runtime \(runtime.image) for build image \(build.image)")

        #expect(build.aptPackages.isSuperset(of: ["libpq-dev", "pkg-config", "zlib1g-dev"]), "build stage installs \(build.aptPackages)")
        let swiftBuild = build.all("RUN").flatMap { $0.arguments.components(separatedBy: "&&") }
            .first { $0.contains("swift build") && !$0.contains("--show-bin-path") }
        for flag in ["-c release", "--static-swift-stdlib", "--product model-catalog"] {
            #expect(swiftBuild?.contains(flag) == true, "swift build without \(flag): \(swiftBuild ?? "none")")
        }
        #expect(runtime.aptPackages.contains("libpq5"), "runtime installs \(runtime.aptPackages)")
        #expect(!runtime.aptPackages.contains("libpq-dev"), "the runtime carries build packages")

        let user = try #require(runtime.last("USER")?.arguments, "no USER: the service runs as root")
        let userName = String(user.split(separator: ":").first ?? "")
        #expect(!["", "root", "0"].contains(userName), "USER \(user)")
        if let uid = Int(userName) {
            #expect(runtime.all("RUN").contains { $0.arguments.contains("--uid \(uid)") }, "no user with uid \(uid) is created")
        }

        let probe = try #require(runtime.last("HEALTHCHECK"), "no HEALTHCHECK")
        #expect(probe.arguments.contains("/health/readiness"), "HEALTHCHECK \(probe.arguments)")
        let entrypoint = try #require(runtime.last("ENTRYPOINT")?.execForm, "ENTRYPOINT is not an exec-form array")
        #expect(entrypoint.first.map { ($0 as NSString).lastPathComponent } == "model-catalog", "ENTRYPOINT \(entrypoint)")
        #expect(try files.serveCommand() == ["serve", "--host", "0.0.0.0", "--port", "4000"])

        // The bundles SwiftPM built next to the executable: the build stage copies each (or all,
        // *.resources) beside the binary into a directory that the runtime copies to the binary's.
        let appDirectory = try #require(entrypoint.first.map { ($0 as NSString).deletingLastPathComponent })
        let copies = runtime.all("COPY").filter { $0.arguments.hasPrefix("--from=\(build.name ?? "-")") }
        let staged = copies.compactMap { copy -> String? in
            let words = copy.words.filter { !$0.hasPrefix("--") }
            return words.count == 2 && Self.sameDirectory(words[1], appDirectory) ? words[0] : nil
        }
        let stagingDirectory = try #require(staged.first, "no COPY --from=build into \(appDirectory)")
        let commands: [String] = build.all("RUN").flatMap { $0.arguments.components(separatedBy: "&&") }
        let copyCommands: [[String]] = commands.map(Self.shellWords).filter { words in
            words.first == "cp" && words.count >= 3 && Self.sameDirectory(words[words.count - 1], stagingDirectory)
        }
        let copiedNames: [String] = copyCommands.flatMap { words in
            words.dropFirst().dropLast().filter { !$0.hasPrefix("-") }.map { ($0 as NSString).lastPathComponent }
        }
        #expect(copiedNames.contains("model-catalog"), "the binary is not copied to \(stagingDirectory): \(copyCommands)")
        let bundles = try DeploymentFiles.builtBundles()
        try #require(!bundles.isEmpty, "no *.resources next to the built binary: is the layout of SwiftPM different?")
        for bundle in bundles {
            #expect(copiedNames.contains(bundle) || copiedNames.contains("*.resources"),
                    "\(bundle) is not copied next to the binary: \(copyCommands)")
        }

        let ignored = files.dockerignore.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for pattern in [".build", ".git", "Package.resolved", "**/.env"] {
            #expect(ignored.contains(pattern), ".dockerignore does not exclude \(pattern)")
        }
    }

    @Test("the binary with its bundles beside it, as in the image, serves without the build tree; without them it stops; the HEALTHCHECK probes it",
          .timeLimit(.minutes(5)))
    func imageLayoutServes() async throws {
        let files = try DeploymentFiles.load()
        let runtime = try files.dockerfile.runtimeStage()
        let entrypoint = try #require(runtime.last("ENTRYPOINT")?.execForm?.first)
        let probe = try #require(runtime.last("HEALTHCHECK").flatMap { Self.healthcheckCommand($0.arguments) },
                                 "the HEALTHCHECK is not CMD [exec form]")
        let unshare = try #require(Executables.find("unshare"), "unshare (util-linux) is not installed")
        let built = URL(fileURLWithPath: try ServerProcess.binaryPath()).resolvingSymlinksInPath()
        let buildDirectory = built.deletingLastPathComponent().path
        let bundles = try DeploymentFiles.builtBundles()
        try #require(!bundles.isEmpty)

        let root = try TemporaryDirectory()
        defer { root.remove() }
        let empty = root.path + "/empty"
        let binary = root.path + entrypoint
        let appDirectory = (binary as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: appDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: built.path, toPath: binary)

        // The binary also knows where its bundles were built; an empty directory is mounted over
        // the build directory in a private mount namespace, so only the copied layout can serve.
        func spawn(_ environment: [String: String]) throws -> ChildProcess {
            try ChildProcess.spawn(
                unshare, ["-m", "/bin/sh", "-c", #"mount --bind "$1" "$2" && shift 2 && exec "$@""#, "sh",
                          empty, buildDirectory, binary, "serve", "--host", "127.0.0.1", "--port", "0", "--pool-size", "2"],
                environment: ServerProcess.environment(environment), workingDirectory: NSTemporaryDirectory())
        }
        // No backtrace on the expected crash: symbolicating a debug binary takes long.
        let environment = ["LITELLM_MASTER_KEY": "sk-layout", "SWIFT_BACKTRACE": "enable=no"]

        let bare = try spawn(environment.merging(["DATABASE_URL": try await TestDatabase.fresh()]) { $1 })
        let bareEnd = await bare.waitForExit(timeout: .seconds(60))
        if bareEnd == nil { await bare.stop(signal: SIGKILL, recordKill: false) }
        #expect(bareEnd != nil && bareEnd != .exited(0), "without its bundles the binary \(bareEnd.map { "\($0)" } ?? "kept running"):\n\(bare.output.suffix(3000))")
        #expect(!bare.output.contains("listening on"), "served without its bundles: the build tree was not hidden")

        for bundle in bundles {
            try FileManager.default.copyItem(atPath: buildDirectory + "/" + bundle, toPath: appDirectory + "/" + bundle)
        }
        let conninfo = try await TestDatabase.fresh()
        let process = try spawn(environment.merging(["DATABASE_URL": conninfo]) { $1 })
        let port: Int
        do {
            let server = try await Self.ready(process)
            port = server.port
            // Both resources load: the migrations made the tables, the cost map was seeded.
            let costMap = try await server.request("GET", "/public/litellm_model_cost_map")
            #expect(costMap.status == 200)
            #expect(((costMap.json() as? [String: Any])?.count ?? 0) > 1000, "the bundled cost map was not loaded")
            let answered = try await Self.runProbe(probe, port: port)
            #expect(answered.termination == .exited(0), "the HEALTHCHECK failed on a ready server: \(answered.output)")
        } catch {
            await process.stop(recordKill: false)
            throw error
        }
        #expect(await process.stop() == .exited(0))
        let closed = try await Self.runProbe(probe, port: port)
        #expect(closed.termination != .exited(0), "the HEALTHCHECK passed with nothing listening")
    }

    // MARK: - Helpers

    /// Waits for "listening on" and a ready /health/readiness, as ServerProcess.start does.
    static func ready(_ process: ChildProcess, timeout: Duration = .seconds(60)) async throws -> ServerProcess {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, process.poll() == nil {
            if let port = ServerProcess.listeningPort(in: process.output) {
                let server = ServerProcess(process: process, port: port)
                if let response = try? await server.request("GET", "/health/readiness", timeout: 5), response.status == 200 {
                    return server
                }
            }
            await pause(.milliseconds(100))
        }
        throw ServerProcess.StartError(description: "the server did not get ready:\n\(process.output.suffix(4000))")
    }

    /// `CMD ["…", …]` of a HEALTHCHECK line, after its options.
    static func healthcheckCommand(_ arguments: String) -> [String]? {
        guard let range = arguments.range(of: "CMD ") else { return nil }
        return Dockerfile.execForm(String(arguments[range.upperBound...]))
    }

    /// Runs the HEALTHCHECK command as Docker would (argv[0] from PATH), on `port` instead of the
    /// image's.
    static func runProbe(_ command: [String], port: Int) async throws -> (termination: ChildProcess.Termination, output: String) {
        let imagePort = "4000"
        let arguments = command.dropFirst().map { $0.replacingOccurrences(of: "/" + imagePort, with: "/\(port)") }
        #expect(arguments != Array(command.dropFirst()), "the probe does not name port \(imagePort)")
        let executable = try #require(Executables.find(command[0]), "\(command[0]) is not installed")
        let run = try await ChildProcess.run(executable, arguments, environment: ServerProcess.environment(), timeout: .seconds(20))
        return (run.termination, run.output)
    }

    static func mentions(port: Int, in text: String) -> Bool {
        text.ranges(of: "\(port)").contains { range in
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            return !(before?.isNumber ?? false) && !(after?.isNumber ?? false)
        }
    }

    /// A shell command's words, quotes dropped (enough for `cp "$bin"/x /dir/`).
    static func shellWords(_ command: String) -> [String] {
        command.split(whereSeparator: \.isWhitespace).map { $0.replacingOccurrences(of: "\"", with: "") }
    }

    static func sameDirectory(_ a: String, _ b: String) -> Bool {
        func trimmed(_ path: String) -> String { path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path }
        return trimmed(a) == trimmed(b)
    }

    /// `key=value` pairs of a conninfo, with compose's `${…}` kept whole (they may hold spaces).
    static func conninfoFields(_ conninfo: String) throws -> [String: String] {
        var placeholders: [String: String] = [:]
        var text = conninfo
        for (index, reference) in Interpolation.references(in: conninfo).enumerated() {
            placeholders["@\(index)@"] = reference
            text = text.replacingOccurrences(of: reference, with: "@\(index)@")
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            try #require(parts.count == 2, "DATABASE_URL is not a key=value conninfo: \(conninfo)")
            var value = parts[1]
            for (placeholder, reference) in placeholders { value = value.replacingOccurrences(of: placeholder, with: reference) }
            fields[parts[0]] = value
        }
        return fields
    }

    static func withPool<T: Sendable>(_ conninfo: String, _ body: (PostgresConnectionPool) async throws -> T) async throws -> T {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
        do {
            let result = try await body(pool)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// The three files of docker/ and the .dockerignore, read from the repository.
private struct DeploymentFiles {
    static let directory = ServerProcess.repositoryRoot.appendingPathComponent("docker").path

    var nginxConfPath: String { Self.directory + "/nginx.conf" }
    let compose: [String: Any]
    let dockerfile: Dockerfile
    let nginxConf: NginxConf
    let dockerignore: String

    static func load() throws -> DeploymentFiles {
        func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
        let composeText = try read(directory + "/compose.yaml")
        let compose = try #require(try Yams.load(yaml: composeText) as? [String: Any], "compose.yaml is not a mapping")
        return DeploymentFiles(
            compose: compose, dockerfile: Dockerfile(try read(directory + "/Dockerfile")),
            nginxConf: NginxConf(try read(directory + "/nginx.conf")),
            dockerignore: try read(ServerProcess.repositoryRoot.appendingPathComponent(".dockerignore").path))
    }

    func services() throws -> [String: [String: Any]] {
        try #require(compose["services"] as? [String: [String: Any]], "compose.yaml has no services")
    }

    /// The services built from docker/Dockerfile: the catalog replicas.
    func catalogServiceNames() throws -> [String] {
        try services().filter { _, service in
            (service["build"] as? [String: Any])?["dockerfile"] as? String == "docker/Dockerfile"
        }.keys.sorted()
    }

    /// The replicas' command: compose's `command`, else the image's CMD.
    func serveCommand() throws -> [String] {
        if let name = try catalogServiceNames().first, let command = try services()[name]?["command"] {
            return try #require(command as? [String], "compose command is not a list: \(command)")
        }
        return try #require(try dockerfile.runtimeStage().last("CMD")?.execForm, "the Dockerfile has no exec-form CMD")
    }

    /// The port the replicas serve on (serve's default is 4000).
    func servicePort() throws -> Int {
        try #require(Int(try serveCommand().value(after: "--port") ?? "4000"), "--port is not a number")
    }

    /// A compose path (relative to the compose file's directory) as an absolute path.
    func resolveFromCompose(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: Self.directory + "/" + path).standardizedFileURL.path
    }

    /// A service's `environment`, mapping or `KEY=value` list.
    static func environment(of service: [String: Any]) throws -> [String: String] {
        switch service["environment"] {
        case nil: return [:]
        case let mapping as [String: Any]: return mapping.mapValues { "\($0)" }
        case let list as [String]:
            return Dictionary(list.map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { $1 })
        case let other?:
            Issue.record("environment is neither a mapping nor a list: \(other)")
            return [:]
        }
    }

    /// The `*.resources` bundles next to the test run's `model-catalog` executable.
    static func builtBundles() throws -> [String] {
        let directory = URL(fileURLWithPath: try ServerProcess.binaryPath()).resolvingSymlinksInPath().deletingLastPathComponent()
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".resources") }.sorted()
    }
}

/// Compose's `${NAME}`, `${NAME:?message}`, `${NAME:-default}` references.
private enum Interpolation {
    static func references(in text: String) -> [String] {
        text.matches(of: /\$\{[A-Za-z_][A-Za-z0-9_]*(?:[:]?[-?+][^}]*)?\}/).map { String($0.output) }
    }

    static func variableNames(in text: String) -> [String] {
        references(in: text).compactMap { $0.firstMatch(of: /\$\{([A-Za-z_][A-Za-z0-9_]*)/).map { String($0.output.1) } }
    }

    /// Whether every reference in `text` stops compose when its variable is unset or empty.
    static func isRequired(_ text: String) -> Bool {
        let references = references(in: text)
        return !references.isEmpty && references.allSatisfy { $0.wholeMatch(of: /\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]+\}/) != nil }
    }

    /// Whether `value` is exactly `${name:?message}`.
    static func isRequiredVariable(_ value: String, named name: String) -> Bool {
        references(in: value) == [value] && isRequired(value) && variableNames(in: value) == [name]
    }
}

/// A Dockerfile read far enough to check it: continuation lines joined, comments dropped,
/// instructions grouped by stage.
private struct Dockerfile {
    struct Instruction {
        var keyword: String
        var arguments: String
        var words: [String] { arguments.split(whereSeparator: \.isWhitespace).map(String.init) }
        var execForm: [String]? { Dockerfile.execForm(arguments) }
    }

    struct Stage {
        var image: String
        var name: String?
        var instructions: [Instruction] = []

        func all(_ keyword: String) -> [Instruction] { instructions.filter { $0.keyword == keyword } }
        func last(_ keyword: String) -> Instruction? { all(keyword).last }

        /// The packages of every `apt-get install` in the stage's RUN lines.
        var aptPackages: Set<String> {
            var packages: Set<String> = []
            for run in all("RUN") {
                for command in run.arguments.components(separatedBy: "&&") {
                    let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
                    guard let install = words.firstIndex(of: "install"), words[..<install].contains("apt-get") else { continue }
                    packages.formUnion(words[(install + 1)...].filter { !$0.hasPrefix("-") })
                }
            }
            return packages
        }
    }

    let stages: [Stage]

    init(_ text: String) {
        var logical: [String] = []
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            // Docker drops comment lines, also inside a continued instruction.
            if line.hasPrefix("#") || (line.isEmpty && pending.isEmpty) { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
            } else {
                logical.append(pending + line)
                pending = ""
            }
        }
        if !pending.isEmpty { logical.append(pending) }

        var stages: [Stage] = []
        for line in logical where !line.isEmpty {
            let keyword = String(line.prefix { !$0.isWhitespace }).uppercased()
            let arguments = line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            if keyword == "FROM" {
                let words = arguments.split(whereSeparator: \.isWhitespace).map(String.init).filter { !$0.hasPrefix("--") }
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(image: words.first ?? "", name: name))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append(Instruction(keyword: keyword, arguments: arguments))
            }
        }
        self.stages = stages
    }

    func runtimeStage() throws -> Stage {
        try #require(stages.last, "the Dockerfile has no FROM")
    }

    /// A JSON array of strings (exec form), or nil for the shell form.
    static func execForm(_ arguments: String) -> [String]? {
        guard arguments.hasPrefix("[") else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(arguments.utf8))) as? [String]
    }
}

/// What the test needs of nginx.conf: upstream blocks, proxy_pass targets, listen ports.
private struct NginxConf {
    let upstreams: [String: [String]]
    let proxyPassUpstreams: [String]
    let listenPorts: [Int]

    init(_ text: String) {
        let code = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "" }
            .joined(separator: "\n")
        var upstreams: [String: [String]] = [:]
        for block in code.matches(of: /upstream\s+(\S+)\s*\{([^}]*)\}/) {
            upstreams[String(block.output.1)] = block.output.2.matches(of: /(?m)^\s*server\s+([^\s;]+)/).map { String($0.output.1) }
        }
        self.upstreams = upstreams
        proxyPassUpstreams = code.matches(of: /proxy_pass\s+https?:\/\/([^\/;\s]+)/).map { String($0.output.1) }
        listenPorts = code.matches(of: /(?m)^\s*listen\s+(?:[^\s;]*:)?(\d+)/).compactMap { Int($0.output.1) }
    }
}

/// Programs looked up as a shell would.
private enum Executables {
    /// `name` on PATH, else in /usr/sbin (nginx's place, often not on a non-login PATH) or /usr/bin.
    static func find(_ name: String) -> String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

extension Array where Element == String {
    /// The word after `option` (`--port 4000`), or after `option=`.
    fileprivate func value(after option: String) -> String? {
        for (index, word) in enumerated() {
            if word == option, index + 1 < count { return self[index + 1] }
            if word.hasPrefix(option + "=") { return String(word.dropFirst(option.count + 1)) }
        }
        return nil
    }

    /// These words without `options` and their values.
    fileprivate func removingOptions(_ options: Set<String>) -> [String] {
        var result: [String] = []
        var skipNext = false
        for word in self {
            if skipNext { skipNext = false; continue }
            if options.contains(word) { skipNext = true; continue }
            if options.contains(where: { word.hasPrefix($0 + "=") }) { continue }
            result.append(word)
        }
        return result
    }
}
