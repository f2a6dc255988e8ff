import CLibPQ

/// The rows of one result, read from libpq's `PGresult`, which they keep until the last of them
/// goes.
///
/// Values stay in PostgreSQL's text format and are decoded on request, straight from libpq's
/// buffer, so a type mismatch is reported with the column's name. (Copying each cell into an
/// array of its own was twelve allocations a row: twelve million when a replica loads a million
/// deployments.)
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// One result column: its name and type OID.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: UInt32
    }

    public let columns: [Column]
    @usableFromInline let result: PostgresResult
    /// The number of rows affected by an INSERT, UPDATE or DELETE (PQcmdTuples), 0 otherwise.
    public let affectedRows: Int

    init(columns: [Column], result: PostgresResult, affectedRows: Int) {
        self.columns = columns
        self.result = result
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : result.rowCount }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(rows: self, index: position)
    }
}

/// A `PGresult`, cleared when the last `PostgresRows` holding it goes.
///
/// Unchecked `Sendable`: nothing changes a result once libpq has made it, and libpq documents
/// reading one from several threads as safe.
@usableFromInline final class PostgresResult: @unchecked Sendable {
    private let handle: OpaquePointer?
    @usableFromInline let rowCount: Int

    /// Takes ownership of `handle` (nil: no rows).
    init(_ handle: OpaquePointer?) {
        self.handle = handle
        rowCount = handle.map { Int(PQntuples($0)) } ?? 0
    }

    deinit { if let handle { PQclear(handle) } }

    /// The text bytes of a cell, nil for NULL; valid as long as this result.
    @usableFromInline func cell(row: Int, column: Int) -> UnsafeBufferPointer<UInt8>? {
        guard let handle, PQgetisnull(handle, Int32(row), Int32(column)) == 0 else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        let start = UnsafeRawPointer(PQgetvalue(handle, Int32(row), Int32(column))!).assumingMemoryBound(to: UInt8.self)
        return UnsafeBufferPointer(start: start, count: length)
    }
}

/// One row of a result.
///
/// The decoding methods are inlinable so that each caller's module specializes them for the
/// types it reads: unspecialized, every cell looked up generic metadata, a tenth of a replica's
/// start-up at a million rows.
public struct PostgresRow: Sendable {
    @usableFromInline let rows: PostgresRows
    @usableFromInline let index: Int

    /// The number of columns.
    public var count: Int { rows.columns.count }

    @usableFromInline func columnIndex(_ name: String) throws -> Int {
        guard let position = rows.columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError(.decoding, message: "result has no column named \(name)", column: name)
        }
        return position
    }

    /// True when the column holds SQL NULL.
    public func isNull(_ column: String) throws -> Bool {
        rows.result.cell(row: index, column: try columnIndex(column)) == nil
    }

    /// Decodes a non-NULL column; NULL or a type mismatch throws an error naming the column.
    @inlinable
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, _ column: String) throws -> Value {
        guard let value = try decode(Value?.self, column) else {
            throw PostgresError(.decoding, message: "column \(column) is NULL, expected \(Value.self)", column: column)
        }
        return value
    }

    /// Decodes a column that may be NULL.
    @inlinable
    public func decode<Value: PostgresDecodable>(_ type: Value?.Type, _ column: String) throws -> Value? {
        try decode(Value?.self, at: try columnIndex(column))
    }

    /// Decodes a column by position (0-based) that may be NULL.
    @inlinable
    public func decode<Value: PostgresDecodable>(_ type: Value?.Type, at position: Int) throws -> Value? {
        // `rows` (a stored property of this row) holds the result while the bytes are read.
        guard let bytes = try cell(at: position, as: Value.self) else { return nil }
        do {
            return try Value.decode(postgresText: bytes)
        } catch {
            let name = rows.columns[position].name
            throw PostgresError(.decoding, message: "column \(name): \(error.reason)", column: name)
        }
    }

    /// The bytes of the column at `position` (nil: NULL), once its type is one `Value` accepts.
    @inlinable
    func cell<Value: PostgresDecodable>(at position: Int, as type: Value.Type) throws -> UnsafeBufferPointer<UInt8>? {
        let meta = rows.columns[position]
        guard Value.acceptedTypes.contains(meta.type) else {
            throw PostgresError(
                .decoding, message: "column \(meta.name) has type oid \(meta.type), which \(Value.self) cannot decode",
                column: meta.name)
        }
        return rows.result.cell(row: index, column: position)
    }

    /// Hands a non-NULL column's text bytes, which `Value` accepts by type, to `body` (nil for
    /// NULL), without copying them: for a parser that reads bytes. The bytes are valid only
    /// inside `body`.
    public func withBytes<Value: PostgresDecodable, Result>(
        of type: Value.Type, _ column: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) throws -> Result? {
        guard let bytes = try cell(at: try columnIndex(column), as: Value.self) else { return nil }
        return try withExtendedLifetime(rows.result) { try body(bytes) }
    }

    /// Decodes a non-NULL column by position (0-based).
    @inlinable
    public func decode<Value: PostgresDecodable>(_ type: Value.Type, at position: Int) throws -> Value {
        guard let value = try decode(Value?.self, at: position) else {
            let name = rows.columns[position].name
            throw PostgresError(.decoding, message: "column \(name) is NULL, expected \(Value.self)", column: name)
        }
        return value
    }
}
