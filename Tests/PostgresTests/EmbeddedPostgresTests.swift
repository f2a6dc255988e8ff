import Foundation
import Postgres
import Testing

@Suite("Embedded PostgreSQL", .serialized)
struct EmbeddedPostgresTests {
    @Test("keeps its data across a stop and a start, and refuses a second server on the same directory")
    func persistsAcrossRestart() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mc-embedded-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = EmbeddedPostgres.Configuration(directory: directory, database: "kept", unsafeFastWrites: true)
        let first = EmbeddedPostgres(configuration: configuration)
        try await first.start()
        do {
            let pool = PostgresConnectionPool(configuration: .init(conninfo: first.conninfo(), maxConnections: 1))
            try await pool.query("CREATE TABLE notes (body text)")
            try await pool.query("INSERT INTO notes VALUES (\("survives a restart"))")
            await pool.close()

            // Another server on the same directory is refused with a clear error.
            let second = EmbeddedPostgres(configuration: configuration)
            do {
                try await second.start()
                Issue.record("a second server on the same directory should be refused")
            } catch let error as PostgresError {
                #expect(error.kind == .embeddedServer)
                #expect(error.description.contains("already running"))
            }
        } catch {
            try? await first.stop()
            throw error
        }
        try await first.stop()
        // No TCP listener and no process left behind: the socket file is gone with the server.
        #expect(!FileManager.default.fileExists(atPath: first.clusterDirectory + "/postmaster.pid"))

        let restarted = EmbeddedPostgres(configuration: configuration)
        try await restarted.start()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: restarted.conninfo(), maxConnections: 1))
        let rows = try await pool.query("SELECT body FROM notes")
        #expect(try rows.map { try $0.decode(String.self, "body") } == ["survives a restart"])
        await pool.close()
        try await restarted.stop()
    }
}
