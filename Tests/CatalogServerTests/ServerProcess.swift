import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A child process started with `posix_spawn`, its output going to files, its exit collected with
/// `waitpid` (not Foundation's `Process`, which on Linux waits for every holder of the child's
/// descriptors to close them, and the embedded PostgreSQL that `serve` starts holds them).
///
/// Every wait is bounded; `stop` ends with SIGKILL (and an issue) when a signal is not enough.
final class ChildProcess: @unchecked Sendable {
    enum Termination: Equatable, Sendable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)
        /// Reaped by someone else (ECHILD): the status is lost.
        case unknown

        var description: String {
            switch self {
            case .exited(let code): "exit code \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            case .unknown: "exited (status unknown)"
            }
        }
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    let executable: String
    /// Where stdout goes (and stderr, unless `errorPath` differs).
    let outputPath: String
    let errorPath: String
    private let lock = NSLock()
    private var termination: Termination?

    private init(pid: pid_t, executable: String, outputPath: String, errorPath: String) {
        self.pid = pid
        self.executable = executable
        self.outputPath = outputPath
        self.errorPath = errorPath
    }

    deinit {
        // Only our own temporary files; a process still running here is a bug of the caller.
        try? FileManager.default.removeItem(atPath: outputPath)
        if errorPath != outputPath { try? FileManager.default.removeItem(atPath: errorPath) }
    }

    /// Starts `executable` with exactly `environment`, stdin from /dev/null, and no descriptor of
    /// ours beyond 0-2. `separateStderr` keeps stderr apart from stdout.
    static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String],
        workingDirectory: String? = nil, separateStderr: Bool = false
    ) throws -> ChildProcess {
        let base = NSTemporaryDirectory() + "/model-catalog-child-\(UUID().uuidString.prefix(12))"
        let outputPath = base + ".out"
        let errorPath = separateStderr ? base + ".err" : outputPath
        let outputFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard outputFD >= 0 else { throw SpawnError(description: "cannot create \(outputPath) (errno \(errno))") }
        defer { close(outputFD) }
        let errorFD = separateStderr ? open(errorPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) : outputFD
        guard errorFD >= 0 else { throw SpawnError(description: "cannot create \(errorPath) (errno \(errno))") }
        defer { if separateStderr { close(errorFD) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, errorFD, 2)
        // The test process has descriptors of its own (the runner's pipes, sockets): a child, and
        // the PostgreSQL it may leave behind, must not keep them open.
        if let closeFrom = GlibcSpawnExtensions.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let workingDirectory {
            guard let addChdir = GlibcSpawnExtensions.addChdir else {
                throw SpawnError(description: "posix_spawn_file_actions_addchdir_np is not available")
            }
            _ = workingDirectory.withCString { addChdir(&actions, $0) }
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw SpawnError(description: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        return ChildProcess(pid: pid, executable: executable, outputPath: outputPath, errorPath: errorPath)
    }

    /// Runs a command to completion within `timeout`; on timeout kills it and throws.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        timeout: Duration, separateStderr: Bool = false, workingDirectory: String? = nil
    ) async throws -> (termination: Termination, output: String, errors: String) {
        let child = try spawn(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                              separateStderr: separateStderr)
        guard let termination = await child.waitForExit(timeout: timeout) else {
            _ = await child.stop(signal: SIGKILL, timeout: .seconds(10), recordKill: false)
            throw SpawnError(description: """
                \(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout); output:
                \(child.output.suffix(4000))\(child.errors.suffix(4000))
                """)
        }
        return (termination, child.output, separateStderr ? child.errors : "")
    }

    /// What the process printed so far on stdout (and stderr, unless separate).
    var output: String { Self.read(outputPath) }
    /// What the process printed on stderr, when kept apart.
    var errors: String { errorPath == outputPath ? "" : Self.read(errorPath) }

    private static func read(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    /// The termination, if the process has ended (reaps it); nil while it runs.
    func poll() -> Termination? {
        lock.lock()
        defer { lock.unlock() }
        if let termination { return termination }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            termination = (status & 0x7f) == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        } else if result < 0, errno == ECHILD {
            termination = .unknown
        }
        return termination
    }

    var isRunning: Bool { poll() == nil }

    /// Waits at most `timeout` for the process to end; nil if it still runs.
    func waitForExit(timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let termination = poll() { return termination }
            if ContinuousClock.now >= deadline { return nil }
            await pause(.milliseconds(50))
        }
    }

    /// Sends `signal` unless the process has already been reaped (its pid may be reused then).
    func send(_ signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if termination == nil { kill(pid, signal) }
    }

    /// Sends `signal` and waits up to `timeout`; if the process still runs, kills it with SIGKILL
    /// (recording an issue unless `recordKill` is false) and waits again. Idempotent.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(15), recordKill: Bool = true,
              sourceLocation: SourceLocation = #_sourceLocation) async -> Termination? {
        if let termination = poll() { return termination }
        send(signal)
        if let termination = await waitForExit(timeout: timeout) { return termination }
        if recordKill {
            Issue.record("""
                \(executable) (pid \(pid)) did not stop within \(timeout) of signal \(signal): killed with SIGKILL. Output:
                \(output.suffix(4000))
                """, sourceLocation: sourceLocation)
        }
        send(SIGKILL)
        return await waitForExit(timeout: .seconds(10))
    }
}

/// Sleeps, even when the task is cancelled (a time limit hit): cleanup must still wait for
/// processes to end, and an immediately returning sleep would spin.
func pause(_ duration: Duration) async {
    if Task.isCancelled {
        let (seconds, attoseconds) = duration.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    } else {
        try? await Task.sleep(for: duration)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) and `_addchdir_np` (2.29) are
/// declared under _GNU_SOURCE, which Swift's Glibc module does not define: look them up.
private enum GlibcSpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }
    static let addChdir: AddChdir? = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
}

/// `model-catalog serve` running as a child process on 127.0.0.1 and a port of its choosing.
struct ServerProcess: Sendable {
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Variables of the test run's environment that would change what `serve` does: removed
    /// from every child's environment, so a test states what it wants.
    static let controlledVariables = [
        "DATABASE_URL", "LITELLM_MASTER_KEY", "LITELLM_MODEL_COST_MAP_URL", "CATALOG_SECRET_KEY", "LITELLM_SALT_KEY",
    ]

    let process: ChildProcess
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var output: String { process.output }

    /// The `model-catalog` executable that `swift test` built next to the test bundle.
    static func binaryPath() throws -> String {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug"))
        let paths = candidates.map { $0.appendingPathComponent("model-catalog").standardizedFileURL.path }
        if let found = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw StartError(description: """
            the model-catalog executable was not found (looked at \(paths.joined(separator: ", "))): \
            build it with `swift build --build-tests` (swift test builds it)
            """)
    }

    /// The test run's environment without `controlledVariables`, plus `adding`.
    static func environment(_ adding: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in controlledVariables { environment[name] = nil }
        environment.merge(adding) { _, new in new }
        return environment
    }

    /// Runs `model-catalog` with `arguments` to completion (for commands expected to exit).
    static func run(_ arguments: [String], environment adding: [String: String] = [:], timeout: Duration)
        async throws -> (termination: ChildProcess.Termination, output: String)
    {
        let outcome = try await ChildProcess.run(
            try binaryPath(), arguments, environment: environment(adding), timeout: timeout)
        return (outcome.termination, outcome.output)
    }

    /// Runs `model-catalog` with `arguments` to completion, keeping stdout (what a script reads)
    /// apart from stderr (the log).
    static func runSeparately(_ arguments: [String], environment adding: [String: String] = [:], timeout: Duration)
        async throws -> (termination: ChildProcess.Termination, stdout: String, stderr: String)
    {
        let outcome = try await ChildProcess.run(
            try binaryPath(), arguments, environment: environment(adding), timeout: timeout, separateStderr: true)
        return (outcome.termination, outcome.output, outcome.errors)
    }

    /// Starts `serve --host 127.0.0.1 --port 0 <arguments>`, learns the port from Hummingbird's
    /// "listening on" line and waits until GET /health/readiness answers 200. On any failure the
    /// process is stopped before this throws.
    static func start(
        _ arguments: [String], environment adding: [String: String] = [:],
        readinessTimeout: Duration = .seconds(60)
    ) async throws -> ServerProcess {
        let started = ContinuousClock.now
        let deadline = started + readinessTimeout
        // Started in the temporary directory: should it ever make a ./.model-catalog, not in the repository.
        let process = try ChildProcess.spawn(
            try binaryPath(), ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments,
            environment: environment(adding), workingDirectory: NSTemporaryDirectory())

        func fail(_ reason: String) async -> StartError {
            let termination = await process.stop(signal: SIGTERM, timeout: .seconds(15), recordKill: false)
            return StartError(description: """
                model-catalog serve \(arguments.joined(separator: " ")): \(reason) \
                (\(termination.map { "\($0)" } ?? "still running after SIGKILL")). Output:
                \(process.output.suffix(6000))
                """)
        }

        var port: Int?
        while port == nil {
            if process.poll() != nil { throw await fail("exited before listening") }
            port = listeningPort(in: process.output)
            if port != nil { break }
            if ContinuousClock.now >= deadline { throw await fail("no \"listening on\" line within \(readinessTimeout)") }
            await pause(.milliseconds(50))
        }
        let server = ServerProcess(process: process, port: port!)
        while true {
            if process.poll() != nil { throw await fail("exited before it was ready") }
            if let response = try? await server.request("GET", "/health/readiness", timeout: 5), response.status == 200 {
                return server
            }
            if ContinuousClock.now >= deadline {
                throw await fail("GET /health/readiness did not answer 200 within \(readinessTimeout)")
            }
            await pause(.milliseconds(100))
        }
    }

    /// Starts a server, runs `body`, and stops the server whatever happens (SIGTERM, then SIGKILL
    /// with an issue). `body` may stop the server itself to check how it stops.
    static func with<T>(
        _ arguments: [String], environment: [String: String] = [:], readinessTimeout: Duration = .seconds(60),
        _ body: (ServerProcess) async throws -> T
    ) async throws -> T {
        let server = try await start(arguments, environment: environment, readinessTimeout: readinessTimeout)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops the server with `signal`, waiting up to `timeout` before SIGKILL (recorded as an issue).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(15),
              sourceLocation: SourceLocation = #_sourceLocation) async -> ChildProcess.Termination? {
        await process.stop(signal: signal, timeout: timeout, sourceLocation: sourceLocation)
    }

    static func listeningPort(in output: String) -> Int? {
        let marker = "listening on 127.0.0.1:"
        guard let range = output.range(of: marker) else { return nil }
        let digits = output[range.upperBound...].prefix { $0.isNumber }
        return Int(digits).flatMap { $0 > 0 ? $0 : nil }
    }

    struct HTTPResponse: Sendable {
        var status: Int
        var body: Data
        /// Response headers by name as the server spelt it.
        var headers: [String: String] = [:]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() -> Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
    }

    /// One HTTP request to the server, with `key` as a Bearer token when given.
    func request(_ method: String, _ path: String, key: String? = nil, json body: String? = nil,
                 headers: [String: String] = [:], timeout: TimeInterval = 10) async throws -> HTTPResponse {
        var request = URLRequest(url: URL(string: baseURL + path)!, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else {
            throw StartError(description: "\(method) \(path): not an HTTP response")
        }
        var fields: [String: String] = [:]
        for case let (name as String, value as String) in http.allHeaderFields { fields[name] = value }
        return HTTPResponse(status: http.statusCode, body: data, headers: fields)
    }
}
