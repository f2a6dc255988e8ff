import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Connection pool")
struct PoolTests {
    @Test("a connection killed with pg_terminate_backend is replaced")
    func replacesTerminatedConnection() async throws {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
        let firstPID = try await pool.withConnection { $0.backendPID }
        let admin = try await TestDatabase.admin()
        let killed = try await admin.query("SELECT pg_terminate_backend(\(firstPID)) AS killed")
        #expect(try killed[0].decode(Bool.self, "killed"))
        // Wait until the backend is gone, so the pool's connection is certainly dead.
        for _ in 0..<100 {
            let alive = try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(firstPID)")
            if try alive[0].decode(Int.self, "n") == 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let rows = try await pool.query("SELECT pg_backend_pid() AS pid")
        let secondPID = try rows[0].decode(Int32.self, "pid")
        #expect(secondPID != firstPID)
        #expect(await pool.replacedConnections == 1)
        await pool.close()
    }

    @Test("a pool at its limit times out a waiting caller with a clear error")
    func waitingCallerTimesOut() async throws {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(
            conninfo: conninfo, maxConnections: 1, acquireTimeout: .milliseconds(300)))
        // The holder keeps the only connection far longer than the timeout, so that a waiter that
        // got it would have waited for the holder: the bound below is about that, not speed (a
        // busy machine may delay the timer by seconds).
        let holder = Task { try await pool.withConnection { connection in try connection.query("SELECT pg_sleep(15)") } }
        // Give the holder time to take the only connection.
        for _ in 0..<100 where await pool.inUse == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(await pool.inUse == 1)
        let started = ContinuousClock.now
        do {
            try await pool.query("SELECT 1")
            Issue.record("the waiting caller should time out")
        } catch let error as PostgresError {
            #expect(error.kind == .poolTimeout)
            #expect(error.description.contains("timed out"))
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .milliseconds(250))
        #expect(waited < .seconds(10))
        #expect(await pool.waiting == 0)
        _ = try await holder.value
        // Once released, the connection serves the next caller.
        let rows = try await pool.query("SELECT 1 AS one")
        #expect(try rows[0].decode(Int.self, "one") == 1)
        await pool.close()
    }

    @Test("callers beyond the pool's size wait their turn, and all succeed")
    func boundedConcurrency() async throws {
        let conninfo = try await TestDatabase.fresh()
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 3))
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await pool.withConnection { connection in
                        try connection.query("SELECT pg_sleep(0.02)")
                        return connection.backendPID
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.count <= 3)
        #expect(!pids.isEmpty)
        await pool.close()
    }

    @Test("a closed pool refuses callers")
    func closedPool() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh()))
        try await pool.query("SELECT 1")
        await pool.close()
        await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
    }

    @Test("an unreachable server gives a connection error, not a hang")
    func unreachable() async throws {
        let pool = PostgresConnectionPool(configuration: .init(conninfo: "host=/nonexistent-socket-dir port=1 dbname=x"))
        do {
            try await pool.query("SELECT 1")
            Issue.record("connecting should fail")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.isConnectionFailure)
        }
        await pool.close()
    }
}
