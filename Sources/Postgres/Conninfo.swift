import CLibPQ

/// Helpers for libpq connection strings (conninfo `key=value` lists and `postgres://` URLs).
public enum Conninfo {
    /// The same connection with another database: parsed by libpq (`PQconninfoParse`), so it works
    /// for both syntaxes, and rebuilt as a quoted `key=value` list.
    public static func replacingDatabase(in conninfo: String, with database: String) throws -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0).trimmingTrailingNewlines() } ?? "invalid connection string"
            if let errorMessage { PQfreemem(errorMessage) }
            // libpq's message names the offending part of the syntax, never a password value.
            throw PostgresError(.misuse, message: message)
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            let key = String(cString: keyword)
            if key != "dbname", let value = option.pointee.val {
                parts.append("\(key)=\(quote(String(cString: value)))")
            }
            option += 1
        }
        parts.append("dbname=\(quote(database))")
        return parts.joined(separator: " ")
    }

    /// Quotes one conninfo value: `'…'` with `\` and `'` escaped.
    public static func quote(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
