import Catalog
import CatalogStore
import Foundation
import Postgres
import Testing

@Suite("The README's SQL examples", .serialized)
struct ReadmeSQLTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shell blocks of the README's "Query with SQL" section, as written.
    static func examples() throws -> [String] {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "## Query with SQL") else { return [] }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        return section.components(separatedBy: "```sh\n").dropFirst().compactMap { $0.components(separatedBy: "\n```").first }
    }

    @Test("run exactly as written against an embedded database laid out as `serve` lays it out")
    func examplesRun() async throws {
        let blocks = try Self.examples()
        #expect(blocks.count >= 3)
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-readme-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        // The same layout and database as `model-catalog serve` run from workDirectory.
        let embedded = EmbeddedPostgres(configuration: CatalogDatabase.embedded(directory: workDirectory + "/.model-catalog", unsafeFastWrites: true))
        try await embedded.start()
        do {
            let pool = PostgresConnectionPool(configuration: .init(conninfo: embedded.conninfo()))
            try await MigrationRunner(migrations: try Migration.bundled()).run(on: pool)
            try await CostMapRepository(pool: pool).seedIfEmpty()
            let config = try LiteLLMConfig.load(path: Self.repositoryRoot.appendingPathComponent("Tests/Fixtures/litellm/config.yaml").path)
            let key = SecretKey.generate().key
            _ = try await ConfigModelLoader(pool: pool, secretKey: key).load(config.models)
            _ = try await TenantRepository(pool: pool).create(Tenant(id: "team-a", alias: "Team A"), actor: "test")
            _ = try await ModelRepository(pool: pool, secretKey: key).insert(
                Deployment(id: "team-a-model", tenantID: "team-a", modelName: "team-a-gpt",
                           litellmParams: ["model": "openai/gpt-4o-mini", "api_key": "sk-team-a-secret"]),
                actor: "test")
            await pool.close()

            var outputs: [String] = []
            for block in blocks {
                let (status, output) = try Self.bash(block, in: workDirectory)
                #expect(status == 0, "\(block)\n\(output)")
                #expect(!output.contains("ERROR"), "\(output)")
                #expect(!output.contains("sk-test-123") && !output.contains("sk-team-a-secret"))
                outputs.append(output)
            }
            #expect(outputs[0].contains("gpt-4o-000") && outputs[0].contains("(shared)") && outputs[0].contains("team-a-gpt"))
            #expect(outputs[1].contains("team-a") && outputs[1].contains("(shared)"))
            // The tenant session sees team-a's model and the shared ones, and no other tenant's.
            #expect(outputs[2].contains("team-a-gpt") && outputs[2].contains("gpt-4o-000"))
        } catch {
            try? await embedded.stop()
            throw error
        }
        try await embedded.stop()
    }

    /// Runs `script` with bash in `directory`. Through `Subprocess`, not Foundation's `Process`,
    /// whose pipe would also reach a server another test starts meanwhile (the read would wait
    /// for that server to end).
    static func bash(_ script: String, in directory: String) throws -> (Int32, String) {
        let quoted = "'" + directory.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let outcome = try Subprocess.run("/bin/bash", ["-c", "cd \(quoted) && export PWD=\(quoted) PAGER=cat && \(script)"], runAs: nil)
        return (outcome.status, outcome.output)
    }
}
