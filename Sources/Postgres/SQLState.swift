/// A PostgreSQL SQLSTATE code such as `23505`.
///
/// Codes match by class with `~=`: `SQLState.integrityConstraintViolation ~= error.sqlState`
/// holds for every code of class `23`, as GRDB's result codes do.
public struct SQLState: Hashable, Sendable, CustomStringConvertible {
    /// The five-character code, e.g. "23505".
    public let code: String

    public init(_ code: String) { self.code = code }

    /// The two-character class, e.g. "23".
    public var codeClass: String { String(code.prefix(2)) }

    public var description: String { code }

    /// A pattern of class (two characters) matches every code of that class; a full code matches itself.
    public static func ~= (pattern: SQLState, value: SQLState?) -> Bool {
        guard let value else { return false }
        if pattern.code.count == 2 { return value.codeClass == pattern.code }
        return value.code == pattern.code
    }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let integrityConstraintViolation = SQLState("23")
    public static let dataException = SQLState("22")
    public static let characterNotInRepertoire = SQLState("22021")
    public static let connectionException = SQLState("08")
    public static let insufficientResources = SQLState("53")
    public static let adminShutdown = SQLState("57P01")
    public static let cannotConnectNow = SQLState("57P03")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let duplicateDatabase = SQLState("42P04")
    public static let undefinedTable = SQLState("42P01")
    public static let insufficientPrivilege = SQLState("42501")
}
