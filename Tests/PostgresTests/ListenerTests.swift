import Foundation
import Postgres
import Testing
import TestSupport

@Suite("LISTEN/NOTIFY listener")
struct ListenerTests {
    @Test("receives a NOTIFY sent from another connection, with its payload")
    func receivesNotification() async throws {
        let conninfo = try await TestDatabase.fresh()
        let channel = "catalog changes \"quoted\""
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: channel)
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
        try await pool.query("SELECT pg_notify(\(channel), \("42"))")
        try await pool.query("SELECT pg_notify(\(channel), \("'); DROP TABLE x; --"))")
        var received: [PostgresNotification] = []
        for try await notification in listener.notifications {
            received.append(notification)
            if received.count == 2 { break }
        }
        #expect(received.map(\.payload) == ["42", "'); DROP TABLE x; --"])
        #expect(received.allSatisfy { $0.channel == channel })
        listener.stop()
        await pool.close()
    }

    @Test("a burst of notifications collapses to the newest while the consumer is busy (bufferingNewest)")
    func burstCollapses() async throws {
        let conninfo = try await TestDatabase.fresh()
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: "burst", buffering: .bufferingNewest(1))
        let pool = PostgresConnectionPool(configuration: .init(conninfo: conninfo, maxConnections: 1))
        // One transaction: the server delivers its 1,000 notifications together at commit.
        try await pool.transaction { connection in
            try connection.query("SELECT pg_notify('burst', n::text) FROM generate_series(1, 1000) AS n")
        }
        // The consumer is busy elsewhere meanwhile.
        try await Task.sleep(for: .seconds(1))
        var received: [String] = []
        for try await notification in listener.notifications {
            received.append(notification.payload)
            if notification.payload == "1000" { break }
        }
        #expect(received.last == "1000")
        #expect(received.count < 1000, "the burst was delivered one by one: \(received.count)")
        listener.stop()
        await pool.close()
    }

    @Test("ends cleanly when stopped (graceful shutdown)")
    func endsOnStop() async throws {
        let conninfo = try await TestDatabase.fresh()
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: "c")
        let consumer = Task {
            var count = 0
            for try await _ in listener.notifications { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        listener.stop()
        #expect(try await consumer.value == 0)
        try await Self.expectBackendGone(listener.backendPID)
    }

    @Test("ends cleanly when the consuming task is cancelled")
    func endsOnCancellation() async throws {
        let conninfo = try await TestDatabase.fresh()
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: "c")
        let consumer = Task {
            for try await _ in listener.notifications {}
        }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        _ = await consumer.result
        try await Self.expectBackendGone(listener.backendPID)
    }

    @Test("ends with a connection error when its backend is terminated")
    func endsWithErrorOnTermination() async throws {
        let conninfo = try await TestDatabase.fresh()
        let listener = try await PostgresListener.listen(conninfo: conninfo, channel: "c")
        let admin = try await TestDatabase.admin()
        try await admin.query("SELECT pg_terminate_backend(\(listener.backendPID))")
        do {
            for try await _ in listener.notifications {}
            Issue.record("the sequence should end with an error")
        } catch let error as PostgresError {
            #expect(error.isConnectionFailure)
        }
    }

    /// The listener's server process must be gone: its connection was closed.
    static func expectBackendGone(_ pid: Int32) async throws {
        let admin = try await TestDatabase.admin()
        var remaining = 1
        for _ in 0..<200 {
            let rows = try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(pid)")
            remaining = try rows[0].decode(Int.self, "n")
            if remaining == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(remaining == 0)
    }
}
