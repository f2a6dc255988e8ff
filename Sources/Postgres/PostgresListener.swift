import CLibPQ
import Foundation

/// A notification received on a `LISTEN` channel.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

/// LISTENs on one channel over a dedicated connection and delivers notifications as an
/// `AsyncSequence`.
///
/// The connection lives on a thread of its own that sleeps in `poll()` on the connection's socket
/// and on a wake-up pipe: no sleeping loop, no event-loop thread blocked. The sequence ends when the
/// consuming task is cancelled, when `stop()` is called (graceful shutdown), or with an error when
/// the connection is lost; reconnecting and catching up is the caller's job, because notifications
/// sent while away are gone.
public final class PostgresListener: Sendable {
    /// The notifications, in the order the server sent them.
    public let notifications: AsyncThrowingStream<PostgresNotification, Error>
    private let wake: WakePipe
    /// The server process holding the LISTEN (for monitoring, and for tests that kill it).
    public let backendPID: Int32

    private init(notifications: AsyncThrowingStream<PostgresNotification, Error>, wake: WakePipe, backendPID: Int32) {
        self.notifications = notifications
        self.wake = wake
        self.backendPID = backendPID
    }

    /// Connects, runs `LISTEN` (the channel name quoted by libpq) and returns once the server has
    /// confirmed it, so that nothing sent after this returns can be missed.
    ///
    /// `buffering`: what the sequence keeps while its consumer is busy. A consumer that only needs
    /// to know that something arrived (it then reads what changed) keeps the newest one, so that a
    /// burst of notifications costs one round of work, not one per notification.
    public static func listen(
        conninfo: String, channel: String, applicationName: String? = nil,
        buffering: AsyncThrowingStream<PostgresNotification, Error>.Continuation.BufferingPolicy = .unbounded
    ) async throws -> PostgresListener {
        let wake = try WakePipe()
        let (stream, continuation) = AsyncThrowingStream<PostgresNotification, Error>.makeStream(bufferingPolicy: buffering)
        // The consumer stopped (cancelled or done): wake the thread so that it closes the connection.
        continuation.onTermination = { _ in wake.wake() }
        let pid = try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Int32, Error>) in
            let thread = Thread {
                run(conninfo: conninfo, applicationName: applicationName, channel: channel, wake: wake, ready: ready, continuation: continuation)
            }
            thread.name = "postgres-listener"
            thread.start()
        }
        return PostgresListener(notifications: stream, wake: wake, backendPID: pid)
    }

    /// Ends the sequence and closes the connection (graceful shutdown).
    public func stop() {
        wake.wake()
    }

    /// The listener thread: connect, LISTEN, then poll until woken or disconnected.
    private static func run(
        conninfo: String, applicationName: String?, channel: String, wake: WakePipe,
        ready: CheckedContinuation<Int32, Error>,
        continuation: AsyncThrowingStream<PostgresNotification, Error>.Continuation
    ) {
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection(conninfo: conninfo, applicationName: applicationName)
            try connection.query("LISTEN \(identifier: channel)")
        } catch {
            continuation.finish(throwing: error)
            ready.resume(throwing: error)
            return
        }
        ready.resume(returning: connection.backendPID)
        defer { connection.close() }
        guard let handle = try? connection.liveHandle() else { return }
        let socket = PQsocket(handle)
        while true {
            var fds = [
                pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                continuation.finish(throwing: PostgresError(.connection, message: "poll failed (errno \(errno))"))
                return
            }
            if fds[1].revents != 0 {
                continuation.finish()
                return
            }
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                let message = PostgresConnection.libpqMessage(handle) ?? "listener connection lost"
                continuation.finish(throwing: PostgresError(.connection, message: message))
                return
            }
            while let notify = PQnotifies(handle) {
                let notification = PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    senderPID: notify.pointee.be_pid)
                PQfreemem(notify)
                continuation.yield(notification)
            }
        }
    }
}

/// A pipe whose only job is to wake the listener thread out of `poll()`. Both ends are closed when
/// the last owner (listener, thread, stream) lets go, so a late wake-up never writes to a reused
/// descriptor.
final class WakePipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError(.connection, message: "could not create the listener's wake-up pipe (errno \(errno))")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}
