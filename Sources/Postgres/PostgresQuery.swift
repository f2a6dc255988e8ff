/// A SQL statement whose interpolated values become `$n` parameters.
///
/// ```swift
/// let rows = try connection.query("SELECT id FROM models WHERE model_name = \(name) AND tenant_id = \(tenant)")
/// ```
/// Each `\(value)` is sent to PostgreSQL as a separate parameter through `PQexecParams`, so SQL reads
/// naturally and no value can ever be spliced into the statement's text. There is deliberately no
/// way to interpolate raw text: the only other interpolation is `\(identifier: name)`, which libpq
/// quotes (`PQescapeIdentifier`) when the statement is sent.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation {
    enum Piece: Sendable {
        case sql(String)
        case parameter(Int)
        case identifier(String)
    }

    var pieces: [Piece]
    /// The bound parameters, in `$n` order.
    public internal(set) var binds: [PostgresBind]

    public init(stringLiteral value: String) {
        pieces = [.sql(value)]
        binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
        binds = stringInterpolation.binds
    }

    /// True when the statement quotes an identifier and so needs a connection to render.
    var hasIdentifiers: Bool {
        pieces.contains { if case .identifier = $0 { return true } else { return false } }
    }

    /// The statement's text with `$n` placeholders, identifiers quoted by `quote`.
    func render(quote: (String) throws -> String) rethrows -> String {
        var text = ""
        for piece in pieces {
            switch piece {
            case .sql(let sql): text += sql
            case .parameter(let index): text += "$\(index)"
            case .identifier(let name): text += try quote(name)
            }
        }
        return text
    }

    /// Builds a query from literal SQL and interpolated parameters.
    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            pieces.append(.sql(literal))
        }

        /// A value: sent as the next `$n` parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value.postgresBind)
            pieces.append(.parameter(binds.count))
        }

        /// An optional value: NULL when nil.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value.postgresBind)
            pieces.append(.parameter(binds.count))
        }

        /// An identifier (a table, channel or database name): quoted by libpq, never spliced raw.
        public mutating func appendInterpolation(identifier: String) {
            pieces.append(.identifier(identifier))
        }
    }
}
