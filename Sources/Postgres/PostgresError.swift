/// An error from PostgreSQL, from libpq, or from this module's own checks.
///
/// `description` is safe to log: it never contains a query parameter. PostgreSQL's `detail` field
/// often echoes row values (`Key (name)=(…) already exists.`), and the messages of class 22 (data
/// exceptions) quote the offending input, so neither is printed; both stay available as properties
/// for code that decides deliberately what to show.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Kind: String, Sendable {
        /// The server answered the statement with an error; `sqlState` says which.
        case server
        /// A connection could not be opened, or was lost.
        case connection
        /// The pool could not hand out a connection in time.
        case poolTimeout
        /// The pool (or the connection) was closed.
        case closed
        /// A column could not be decoded as the requested type.
        case decoding
        /// The embedded server could not be set up, started or stopped.
        case embeddedServer
        /// A caller used the API in a way it does not support.
        case misuse
    }

    public var kind: Kind
    public var sqlState: SQLState?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var constraint: String?
    /// The column the error concerns: a decoding error names it.
    public var column: String?

    public init(
        _ kind: Kind, message: String, sqlState: SQLState? = nil, detail: String? = nil,
        hint: String? = nil, constraint: String? = nil, column: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.constraint = constraint
        self.column = column
    }

    /// True when the connection that raised this error can no longer be used.
    public var isConnectionFailure: Bool {
        switch kind {
        case .connection, .closed: return true
        case .server:
            return SQLState.connectionException ~= sqlState || SQLState.adminShutdown ~= sqlState
                || SQLState("57P02") ~= sqlState || SQLState.cannotConnectNow ~= sqlState
        default: return false
        }
    }

    public var description: String {
        var text = "PostgresError.\(kind.rawValue)"
        if let sqlState { text += " [\(sqlState)]" }
        if SQLState.dataException ~= sqlState {
            text += ": data exception (input withheld)"
        } else {
            text += ": \(message)"
        }
        if let constraint { text += " (constraint \(constraint))" }
        if let column { text += " (column \(column))" }
        if let hint { text += " hint: \(hint)" }
        return text
    }
}
