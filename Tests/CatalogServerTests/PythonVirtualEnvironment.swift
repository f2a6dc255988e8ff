import Foundation
import Testing

/// A Python virtual environment under `.build/` with pinned packages from PyPI, made on first use
/// and reused by later runs (python3 with venv, and PyPI, are needed).
///
/// An environment is ready when its python imports every module of `imports` and it was last
/// installed with exactly `packages` (recorded in the environment after a successful install), so
/// that changing a pin installs again. Tests of one process, and concurrent test processes, share
/// an environment: making or changing it is serialised by a lock file next to it.
struct PythonVirtualEnvironment: Sendable {
    /// The directory's name under `.build/`, e.g. `openai-venv`.
    var name: String
    /// pip requirements, each pinned (`openai==3.57.0`).
    var packages: [String]
    /// Modules the tests import: all must import for the environment to be ready.
    var imports: [String]

    /// Why the environment could not be made; carries the failing command's output.
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    var directory: String { ServerProcess.repositoryRoot.appendingPathComponent(".build/\(name)").path }
    var python: String { directory + "/bin/python" }
    /// A program the packages installed, e.g. `schemathesis`.
    func executable(_ program: String) -> String { directory + "/bin/" + program }

    private var requirementsRecord: String { directory + "/model-catalog-requirements.txt" }
    private var recordText: String { packages.joined(separator: "\n") + "\n" }

    /// The environment of every child process run from the environment: no pip version check, no
    /// user site-packages, nothing of the test run's that would change `serve`, and litellm's own
    /// cost map (importing litellm otherwise fetches it from GitHub, retrying for seconds offline).
    static var processEnvironment: [String: String] {
        ServerProcess.environment([
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PYTHONNOUSERSITE": "1", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        ])
    }

    /// The environment's python, after creating the environment and installing the packages if needed.
    func prepare() async throws -> String {
        if try await isReady() { return python }
        return try await withLock {
            if try await isReady() { return python }  // another test made it while we waited
            try await install()
            guard try await isReady() else {
                throw SetupError(description: "\(imports.joined(separator: ", ")) not importable in \(directory) after pip install")
            }
            return python
        }
    }

    private func isReady() async throws -> Bool {
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? String(contentsOfFile: requirementsRecord, encoding: .utf8)) == recordText
        else { return false }
        let script = imports.map { "import \($0)" }.joined(separator: "; ")
        return try await ChildProcess.run(python, ["-c", script], environment: Self.processEnvironment, timeout: .seconds(120))
            .termination == .exited(0)
    }

    private func install() async throws {
        let environment = Self.processEnvironment
        if !FileManager.default.isExecutableFile(atPath: python) {
            let base = try Self.executableOnPath("python3")
            let made = try await ChildProcess.run(base, ["-m", "venv", "--clear", directory], environment: environment,
                                                  timeout: .seconds(180))
            guard made.termination == .exited(0) else {
                throw SetupError(description: "python3 -m venv \(directory) failed (\(made.termination)):\n\(made.output)")
            }
        }
        try? FileManager.default.removeItem(atPath: requirementsRecord)
        let installed = try await ChildProcess.run(
            python, ["-m", "pip", "install", "--quiet"] + packages, environment: environment, timeout: .seconds(600))
        guard installed.termination == .exited(0) else {
            throw SetupError(description: """
                pip install \(packages.joined(separator: " ")) failed (\(installed.termination)):
                \(installed.output.suffix(4000))
                """)
        }
        try recordText.write(toFile: requirementsRecord, atomically: true, encoding: .utf8)
    }

    /// Runs `body` holding an exclusive lock on `.build/<name>.lock`. Polled rather than blocking,
    /// so that no thread of the cooperative pool waits in `flock`.
    private func withLock<T>(_ body: () async throws -> T) async throws -> T {
        let path = directory + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw SetupError(description: "cannot open \(path) (errno \(errno))") }
        defer { close(descriptor) }  // closing releases the lock
        let deadline = ContinuousClock.now + .seconds(900)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                throw SetupError(description: "\(path) stayed locked for 15 minutes")
            }
            await pause(.milliseconds(200))
        }
        return try await body()
    }

    private static func executableOnPath(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw SetupError(description: "\(name) is not on PATH (\(path)): install Python 3 to run this test")
    }
}

extension PythonVirtualEnvironment {
    /// The OpenAI Python SDK, for the client test of /v1/models.
    static let openAI = PythonVirtualEnvironment(name: "openai-venv", packages: ["openai==3.57.0"], imports: ["openai"])

    /// The OpenAPI tools: the document's validator and the API fuzzer that checks the server against it.
    static let openAPI = PythonVirtualEnvironment(
        name: "openapi-venv", packages: ["openapi-spec-validator==0.9.0", "schemathesis==4.32.5", "PyYAML==6.0.4"],
        imports: ["openapi_spec_validator", "schemathesis", "yaml"])

    /// LiteLLM's Python client and its `litellm-proxy` CLI (never 1.107.0, reported compromised).
    /// The CLI imports what litellm lists under its `cli` extra (requests, rich, InquirerPy, …),
    /// not in its plain install.
    static let liteLLM = PythonVirtualEnvironment(
        name: "litellm-venv", packages: ["litellm[cli]==1.108.7"],
        imports: ["litellm.proxy.client.cli.main", "requests", "rich", "yaml"])

    /// The LiteLLM proxy server (`litellm --config …`) that the integration in
    /// `integrations/litellm/` feeds from the catalog, and pytest for the integration's own tests.
    static let liteLLMProxy = PythonVirtualEnvironment(
        name: "litellm-proxy-venv", packages: ["litellm[proxy]==1.108.7", "pytest==9.2.0"],
        imports: ["litellm.proxy.proxy_server", "httpx", "pytest"])

    /// The admin page's browser checks: Playwright for Python driving Debian's `chromium` (no
    /// browser download), axe-core as axe-playwright-python bundles it, and psycopg for the
    /// plain-SQL write the page must show live.
    static let adminPage = PythonVirtualEnvironment(
        name: "ui-venv", packages: ["playwright==1.52.0", "axe-playwright-python==0.1.8", "psycopg[binary]==3.2.3"],
        imports: ["playwright.sync_api", "axe_playwright_python.sync_playwright", "psycopg"])
}
