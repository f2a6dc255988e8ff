/// The rows of one result, copied out of libpq's `PGresult` (which is freed at once).
///
/// Values are kept in PostgreSQL's text format and decoded on request, so a type mismatch is
/// reported with the column's name.
public struct PostgresRows: Sendable, RandomAccessCollection {
    /// One result column: its name and type OID.
    public struct Column: Sendable, Hashable {
        public var name: String
        public var type: UInt32
    }

    public let columns: [Column]
    @usableFromInline let cells: [[UInt8]?]
    /// The number of rows affected by an INSERT, UPDATE or DELETE (PQcmdTuples), 0 otherwise.
    public let affectedRows: Int

    init(columns: [Column], cells: [[UInt8]?], affectedRows: Int) {
        self.columns = columns
        self.cells = cells
        self.affectedRows = affectedRows
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { columns.isEmpty ? 0 : cells.count / columns.count }

    public subscript(position: Int) -> PostgresRow {
        PostgresRow(rows: self, index: position)
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
        rows.cells[index * rows.columns.count + (try columnIndex(column))] == nil
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
        let meta = rows.columns[position]
        guard Value.acceptedTypes.contains(meta.type) else {
            throw PostgresError(
                .decoding, message: "column \(meta.name) has type oid \(meta.type), which \(Value.self) cannot decode",
                column: meta.name)
        }
        guard let bytes = rows.cells[index * rows.columns.count + position] else { return nil }
        do {
            return try Value.decode(postgresText: bytes)
        } catch {
            throw PostgresError(.decoding, message: "column \(meta.name): \(error.reason)", column: meta.name)
        }
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
