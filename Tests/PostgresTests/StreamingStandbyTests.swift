import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Streaming standby", .serialized)
struct StreamingStandbyTests {
    @Test("a row written on the primary is read on the standby, which refuses writes and catches up after a restart")
    func replicates() async throws {
        let pair = try await StreamingStandby.start()
        do {
            try await exercise(pair)
        } catch {
            try? await pair.stop()
            throw error
        }
        try await pair.stop()
        #expect(!FileManager.default.fileExists(atPath: pair.directory))
    }

    private func exercise(_ pair: StreamingStandby) async throws {
        try await pair.createDatabase("replicated")
        let primary = PostgresConnectionPool(configuration: .init(conninfo: pair.primaryConninfo(database: "replicated"), maxConnections: 1))
        try await primary.query("CREATE TABLE notes (body text)")
        try await primary.query("INSERT INTO notes VALUES (\("before the restart"))")
        try await pair.waitForReplay()

        let standby = PostgresConnectionPool(configuration: .init(conninfo: pair.standbyConninfo(database: "replicated"), maxConnections: 1))
        #expect(try await standby.query("SELECT pg_is_in_recovery() AS standby")[0].decode(Bool.self, "standby"))
        let replicated = try await Self.bodies(standby)
        #expect(replicated == ["before the restart"])
        let refused = await #expect(throws: PostgresError.self) {
            try await standby.query("INSERT INTO notes VALUES (\("on the standby"))")
        }
        // read_only_sql_transaction: "cannot execute INSERT in a read-only transaction".
        #expect(refused?.sqlState == SQLState("25006"))
        // The pool's connection dies with the server: a new pool after the restart.
        await standby.close()

        try await pair.restartStandby()
        try await primary.query("INSERT INTO notes VALUES (\("after the restart"))")
        try await pair.waitForReplay()
        let restarted = PostgresConnectionPool(configuration: .init(conninfo: pair.standbyConninfo(database: "replicated"), maxConnections: 1))
        let bodies = try await Self.bodies(restarted)
        #expect(bodies == ["after the restart", "before the restart"])
        await restarted.close()
        await primary.close()
    }

    private static func bodies(_ pool: PostgresConnectionPool) async throws -> [String] {
        try await pool.query("SELECT body FROM notes ORDER BY body").map { try $0.decode(String.self, "body") }
    }
}
