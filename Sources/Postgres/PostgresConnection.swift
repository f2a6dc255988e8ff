import CLibPQ
import Foundation

/// One libpq connection. Every method blocks on the network: call them from a thread pool
/// (`PostgresConnectionPool` does), never from an event loop or the Swift cooperative pool.
///
/// `@unchecked Sendable` because a `PGconn` may move between threads but must not be used by two at
/// once: the pool hands a connection to exactly one caller at a time, and a connection used
/// outside the pool belongs to the one task that opened it.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?

    /// Opens a connection from a conninfo string (`host=… dbname=…`) or a `postgres://` URL.
    /// `applicationName` is what `pg_stat_activity` shows unless the conninfo names one. The
    /// handle is finished on failure too, as libpq asks.
    public init(conninfo: String, applicationName: String? = nil) throws {
        // connect_timeout comes first so that a value in the caller's conninfo or URL wins over it
        // (libpq keeps the last value of a repeated keyword; dbname expands in place).
        var keywords = ["connect_timeout"], values = ["10"]
        if let applicationName {
            keywords.append("fallback_application_name")
            values.append(applicationName)
        }
        keywords.append("dbname")
        values.append(conninfo)
        let opened = keywords.withCStrings { keywordPointers in
            values.withCStrings { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection = opened else {
            throw PostgresError(.connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.libpqMessage(connection) ?? "connection failed"
            PQfinish(connection)
            throw PostgresError(.connection, message: message)
        }
        // Server notices (NOTICE, a FATAL before a disconnect) would go to stderr by default; the
        // errors that matter reach the caller as PostgresError instead.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        // Session defaults every caller relies on: UTC timestamps in ISO format, UTF-8 text.
        handle = connection
        do {
            try execute("SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'")
        } catch {
            close()
            throw error
        }
    }

    deinit {
        // A connection that is dropped without close() is still finished: the socket never leaks.
        if let handle { PQfinish(handle) }
    }

    /// True while libpq considers the connection usable. Reads what the server has already sent
    /// (without blocking: libpq keeps its socket non-blocking), so a backend terminated by the
    /// server shows up here as a broken connection before anyone sends a query on it.
    public var isHealthy: Bool {
        guard let handle else { return false }
        // A terminated backend first sends its FATAL message, then closes: read while there is
        // something to read, so that the end of the stream is seen too.
        for _ in 0..<4 {
            guard PQstatus(handle) == CONNECTION_OK else { return false }
            var socket = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            guard poll(&socket, 1, 0) > 0 else { break }
            if PQconsumeInput(handle) == 0 { return false }
        }
        return PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE
    }

    /// True once `close()` has run.
    public var isClosed: Bool { handle == nil }

    /// The server process id serving this connection.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// Closes the connection; further calls fail with `.closed`.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    /// Joins the snapshot `id` exported by another transaction (`pg_export_snapshot()`), as the
    /// first statement of a REPEATABLE READ transaction. `SET TRANSACTION SNAPSHOT` takes a
    /// literal, never a parameter: this is the one statement that carries a value in its text, so
    /// the id must look like the server's (hex digits and dashes) and is quoted by libpq.
    public func importSnapshot(_ id: String) throws {
        guard !id.isEmpty, id.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (48...57).contains($0) || (65...70).contains($0) }) else {
            throw PostgresError(.decoding, message: "not a snapshot id of pg_export_snapshot")
        }
        let handle = try liveHandle()
        guard let quoted = PQescapeLiteral(handle, id, id.utf8.count) else {
            throw PostgresError(.connection, message: Self.libpqMessage(handle) ?? "could not quote the snapshot id")
        }
        defer { PQfreemem(quoted) }
        try execute(script: "SET TRANSACTION SNAPSHOT " + String(cString: quoted))
    }

    /// Runs one parameterised statement (`PQexecParams`) and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresRows {
        let connection = try liveHandle()
        let sql = try query.render(quote: quoteIdentifier)
        let binds = query.binds
        // libpq reads a text parameter as a C string, so a NUL in it would silently cut the value
        // short and store something other than what was asked. PostgreSQL cannot store a NUL in
        // text at all: refuse it as the server refuses such input itself.
        if binds.contains(where: { $0.format == 0 && $0.bytes?.contains(0) == true }) {
            throw PostgresError(.misuse, message: "a text parameter contains a NUL character, which PostgreSQL cannot store",
                                sqlState: .characterNotInRepertoire)
        }
        let types = binds.map { $0.type }
        let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
        let formats = binds.map { $0.format }
        // libpq reads text parameters as C strings: give each a NUL-terminated copy that lives
        // for the duration of the call.
        let storage: [UnsafeMutablePointer<CChar>?] = binds.map { bind in
            guard let bytes = bind.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { buffer.update(from: base, count: bytes.count) }
                }
            }
            buffer[bytes.count] = 0
            return buffer
        }
        defer { storage.forEach { $0?.deallocate() } }
        let values: [UnsafePointer<CChar>?] = storage.map { $0.map { UnsafePointer($0) } }
        let result = PQexecParams(connection, sql, Int32(binds.count), types, values, lengths, formats, 0)
        return try consume(result)
    }

    /// Runs SQL text that carries no values, possibly several statements (a migration file, a
    /// `BEGIN`). Values always go through `query(_:)`; this takes a static string only.
    public func execute(_ sql: StaticString) throws {
        try execute(script: "\(sql)")
    }

    /// Runs a script read from a file that ships with the program (migrations). It must not be
    /// built from values.
    public func execute(script: String) throws {
        let connection = try liveHandle()
        _ = try consume(PQexec(connection, script))
    }

    /// Quotes an identifier with libpq's `PQescapeIdentifier`.
    public func quoteIdentifier(_ name: String) throws -> String {
        let connection = try liveHandle()
        guard let escaped = PQescapeIdentifier(connection, name, name.utf8.count) else {
            throw PostgresError(.misuse, message: Self.libpqMessage(connection) ?? "identifier could not be quoted")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            // The rollback's own failure (a lost connection) must not hide the original error.
            if !isClosed, let handle, PQstatus(handle) == CONNECTION_OK {
                try? execute("ROLLBACK")
            }
            throw error
        }
        try execute("COMMIT")
        return value
    }

    // MARK: - Internals for the listener

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(.closed, message: "connection is closed") }
        return handle
    }

    /// Turns a PGresult into rows (which own it from then on) or an error (freeing it).
    private func consume(_ result: OpaquePointer?) throws -> PostgresRows {
        guard let result else {
            let message = handle.flatMap(Self.libpqMessage) ?? "no result"
            throw PostgresError(.connection, message: message)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            defer { PQclear(result) }
            return PostgresRows(columns: [], result: PostgresResult(nil), affectedRows: Self.affected(result))
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let columnCount = Int(PQnfields(result))
            var columns: [PostgresRows.Column] = []
            columns.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                columns.append(.init(name: String(cString: PQfname(result, Int32(column))), type: PQftype(result, Int32(column))))
            }
            return PostgresRows(columns: columns, result: PostgresResult(result), affectedRows: Self.affected(result))
        default:
            defer { PQclear(result) }
            throw Self.error(from: result, connection: handle)
        }
    }

    private static func affected(_ result: OpaquePointer) -> Int {
        guard let text = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    static func error(from result: OpaquePointer, connection: OpaquePointer?) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let value = PQresultErrorField(result, code) else { return nil }
            return String(cString: value)
        }
        let sqlState = field(CLIBPQ_DIAG_SQLSTATE).map(SQLState.init)
        let message = field(CLIBPQ_DIAG_MESSAGE_PRIMARY)
            ?? PQresultErrorMessage(result).map { String(cString: $0).trimmingTrailingNewlines() }
            ?? "unknown error"
        let lost = connection.map { PQstatus($0) != CONNECTION_OK } ?? true
        return PostgresError(
            sqlState == nil && lost ? .connection : .server,
            message: message.isEmpty ? (connection.flatMap(libpqMessage) ?? "server closed the connection") : message,
            sqlState: sqlState,
            detail: field(CLIBPQ_DIAG_MESSAGE_DETAIL),
            hint: field(CLIBPQ_DIAG_MESSAGE_HINT),
            constraint: field(CLIBPQ_DIAG_CONSTRAINT_NAME))
    }

    static func libpqMessage(_ connection: OpaquePointer) -> String? {
        guard let text = PQerrorMessage(connection) else { return nil }
        let message = String(cString: text).trimmingTrailingNewlines()
        return message.isEmpty ? nil : message
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}

extension Array where Element == String {
    /// Calls `body` with a NULL-terminated array of C strings that live for the call.
    func withCStrings<R>(_ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let pointers = map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        let constPointers: [UnsafePointer<CChar>?] = pointers.map { $0.map { UnsafePointer($0) } } + [nil]
        return constPointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
