import CatalogStore
import Foundation
import Testing
import TestSupport

/// The command line as people use it: help with examples everywhere, `import-config`, and
/// `models list` as a table and as JSON, run as the real executable against a real database.
@Suite("model-catalog command line", .serialized)
struct CommandLineTests {
    /// Every command path, found by walking the SUBCOMMANDS sections of the help itself (so a
    /// new command is covered without editing this test).
    static func commandPaths() async throws -> [[String]] {
        var paths: [[String]] = []
        var queue: [[String]] = [[]]
        while let path = queue.popLast() {
            paths.append(path)
            let help = try await ServerProcess.run(path + ["--help"], timeout: .seconds(30))
            #expect(help.termination == .exited(0), "\(path) --help: \(help.termination)")
            var inSubcommands = false
            for line in help.output.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("SUBCOMMANDS:") { inSubcommands = true; continue }
                guard inSubcommands else { continue }
                if line.isEmpty || !line.hasPrefix("  ") { inSubcommands = false; continue }
                // "  name   abstract"; wrapped abstracts are indented further and have no name.
                guard line.hasPrefix("  "), !line.hasPrefix("   "),
                      let name = line.split(separator: " ").first, name != "help" else { continue }
                queue.append(path + [String(name).replacingOccurrences(of: "(default)", with: "")])
            }
        }
        return paths
    }

    @Test("--help of every command has examples that name the command")
    func helpHasExamples() async throws {
        let paths = try await Self.commandPaths()
        // serve, import-config, models list, keys create, cost-map import, secrets rotate, migrate.
        #expect(paths.count >= 11, "found only \(paths)")
        for expected in [["import-config"], ["models", "list"], ["keys", "create"], ["cost-map", "import"], ["serve"]] {
            #expect(paths.contains(expected), "no \(expected.joined(separator: " ")) command")
        }
        for path in paths {
            let help = try await ServerProcess.run(path + ["--help"], timeout: .seconds(30)).output
            let examples = help.components(separatedBy: "Examples:").dropFirst().first ?? ""
            let invocation = (["model-catalog"] + path).joined(separator: " ")
            #expect(examples.contains(invocation), "`\(invocation) --help` has no example of itself:\n\(help)")
        }
    }

    @Test("the README documents every flag of every command and every environment variable the code reads")
    func readmeDocumentsFlagsAndVariables() async throws {
        let readme = try String(contentsOf: ServerProcess.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var flags: Set<String> = []
        for path in try await Self.commandPaths() {
            let help = try await ServerProcess.run(path + ["--help"], timeout: .seconds(30)).output
            for line in help.split(separator: "\n") where line.hasPrefix("  -") {
                for word in line.split(separator: " ") where word.hasPrefix("--") {
                    flags.insert(String(word.prefix { $0 != "," && $0 != "=" }))
                }
            }
        }
        flags.subtract(["--help", "--version"])
        #expect(flags.count >= 20, "found only \(flags.sorted())")
        for flag in flags.sorted() {
            // The whole flag (not the start of a longer one), in a table or a command line.
            let documented = readme.ranges(of: flag).contains { range in
                range.upperBound == readme.endIndex || !(readme[range.upperBound].isLetter || readme[range.upperBound] == "-")
            }
            #expect(documented, "README.md does not document \(flag)")
        }

        // Every variable the sources read: environment["NAME"] and LiteLLM's "os.environ/NAME".
        var variables: Set<String> = []
        let sources = ServerProcess.repositoryRoot.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        let pattern = try Regex(#"(?:environment\["|"os\.environ/)([A-Z][A-Z0-9_]+)"#)
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let name = match.output[1].substring { variables.insert(String(name)) }
            }
        }
        #expect(variables.isSuperset(of: ["DATABASE_URL", "LITELLM_MASTER_KEY", "CATALOG_SECRET_KEY"]), "\(variables.sorted())")
        for variable in variables.sorted() {
            #expect(readme.contains("`\(variable)`"), "README.md does not document \(variable)")
        }
    }

    @Test("import-config loads a LiteLLM config without serving; models list shows it as a table and as /model/info's JSON",
          .timeLimit(.minutes(5)))
    func importAndList() async throws {
        let conninfo = try await TestDatabase.fresh()
        let config = ServerProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures/litellm/config.yaml").path
        let environment = ["CATALOG_SECRET_KEY": SecretKey.generate().base64]
        let database = ["--database-url", conninfo]

        let imported = try await ServerProcess.run(["import-config", config] + database, environment: environment,
                                                   timeout: .seconds(120))
        #expect(imported.termination == .exited(0), "\(imported.output)")
        #expect(imported.output.contains("50 models: 50 inserted, 0 updated, 0 unchanged"), "\(imported.output)")
        let again = try await ServerProcess.run(["import-config", config] + database, environment: environment,
                                                timeout: .seconds(120))
        #expect(again.output.contains("50 models: 0 inserted, 0 updated, 50 unchanged"), "\(again.output)")

        // The literal api_key of the fixture needs the secret key: without one, nothing is loaded.
        let other = try await TestDatabase.fresh()
        let refused = try await ServerProcess.run(["import-config", config, "--database-url", other], timeout: .seconds(120))
        #expect(refused.termination == .exited(1), "\(refused.output)")
        #expect(refused.output.contains("config.yaml:2: model_list[0].litellm_params.api_key"), "the error does not name the file and line:\n\(refused.output)")
        #expect(!refused.output.contains("sk-test-123"), "the secret was printed")
        let empty = try await ServerProcess.runSeparately(["models", "list", "--json", "--database-url", other], timeout: .seconds(60))
        let emptyData = (try JSONSerialization.jsonObject(with: Data(empty.stdout.utf8)) as? [String: Any])?["data"] as? [Any]
        #expect(emptyData?.count == 0, "a refused import loaded something: \(empty.stdout.prefix(2000))")

        let table = try await ServerProcess.runSeparately(["models", "list"] + database, timeout: .seconds(60))
        #expect(table.termination == .exited(0))
        let lines = table.stdout.split(separator: "\n")
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["ID", "MODEL_NAME", "MODEL", "TEAM", "SOURCE"])
        #expect(lines.last == "50 deployments")
        #expect(lines.count == 52, "\(table.stdout)")
        #expect(lines.contains { $0.hasPrefix("dep-0045 ") && $0.contains("openai/gpt-4o") && $0.hasSuffix("config") })

        let json = try await ServerProcess.runSeparately(["models", "list", "--json"] + database, timeout: .seconds(60))
        #expect(json.termination == .exited(0))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let data = try #require(body["data"] as? [[String: Any]])
        #expect(data.count == 50)
        // Enriched from the cost map, redacted like the API.
        let first = try #require(data.first { ($0["model_info"] as? [String: Any])?["id"] as? String == "dep-0045" })
        #expect((first["model_info"] as? [String: Any])?["input_cost_per_token"] is Double)
        #expect(!json.stdout.contains("sk-test-123") && !json.stdout.contains("\"api_key\":"))
    }
}
