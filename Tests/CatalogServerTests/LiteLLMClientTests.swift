import Foundation
import Testing
import TestSupport

/// LiteLLM 1.108.7's own Python client (`litellm.proxy.client.Client`) and CLI (`litellm-proxy`)
/// against a live `model-catalog serve`: `Tests/Scripts/litellm_client_checks.py` calls every
/// method of the client's models, model_groups, keys, teams and credentials and the CLI's commands,
/// and checks each for its effect. One server and one script run; each of the script's checks is
/// reported here by name, with what it sent and what came back (secrets redacted by the script).
@Suite("LiteLLM's Python client and CLI against a live server", .serialized)
struct LiteLLMClientTests {
    /// Fewer checks than this means the script lost some: a pass would mean less than it says.
    static let minimumChecks = 45

    @Test("every call of LiteLLM's client and CLI has its intended effect", .timeLimit(.minutes(20)))
    func clientAndCLI() async throws {
        let environment = PythonVirtualEnvironment.liteLLM
        let python = try await environment.prepare()
        let conninfo = try await TestDatabase.fresh()
        let masterKey = "sk-litellm-client-\(UUID().uuidString.lowercased())"
        let secretKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        // The value the script stores in credentials and then looks for in every response.
        let credentialSecret = "cred-secret-\(UUID().uuidString.lowercased())"
        let script = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Scripts/litellm_client_checks.py").path
        // The CLI's home (~/.litellm) and the report: a temporary directory.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let reportPath = directory.path + "/report.json"

        try await ServerProcess.with(
            ["--database-url", conninfo, "--pool-size", "4"],
            environment: ["LITELLM_MASTER_KEY": masterKey, "CATALOG_SECRET_KEY": secretKey]
        ) { server in
            let run = try await ChildProcess.run(
                python, [script, "--base-url", server.baseURL, "--cli", environment.executable("litellm-proxy"),
                         "--report", reportPath],
                environment: PythonVirtualEnvironment.processEnvironment.merging([
                    "CATALOG_CHECK_MASTER_KEY": masterKey, "CATALOG_CHECK_CREDENTIAL_SECRET": credentialSecret,
                    "HOME": directory.path, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                ]) { _, new in new },
                timeout: .seconds(900), separateStderr: true, workingDirectory: directory.path)
            // 0: every check passed; 1: some failed (reported below); anything else: the run broke.
            try #require(run.termination == .exited(0) || run.termination == .exited(1), """
                litellm_client_checks.py did not run (\(run.termination)):
                \(run.errors.suffix(6000))
                \(run.output.suffix(3000))
                """)
            let data = try #require(FileManager.default.contents(atPath: reportPath), "the script wrote no report:\n\(run.output.suffix(3000))")
            let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "the report is not a JSON object")
            let checks = try #require(report["checks"] as? [[String: Any]], "the report has no checks")
            #expect(checks.count == report["registered"] as? Int, "the script registered \(report["registered"] ?? "?") checks but reported \(checks.count)")
            #expect(checks.count >= Self.minimumChecks, "only \(checks.count) checks ran")
            for check in checks where check["ok"] as? Bool != true {
                Issue.record("LiteLLM check failed: \(check["name"] as? String ?? "?")\n\(check["detail"] as? String ?? "")")
            }
            #expect((run.termination == .exited(0)) == checks.allSatisfy { $0["ok"] as? Bool == true },
                    "the script's exit status (\(run.termination)) disagrees with its report")

            // The credential's value was stored, used and read back: the server never logged it.
            #expect(!server.output.contains(credentialSecret), "the server's log contains the credential's secret value")
        }
    }
}
