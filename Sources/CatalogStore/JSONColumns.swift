import Catalog
import Postgres

/// JSONB columns as `JSONValue`s, both ways.
enum JSONColumns {
    static func bind(_ value: [String: JSONValue]) -> PostgresJSONB {
        PostgresJSONB(JSONWriter.string(.object(value)))
    }

    static func bind(_ value: JSONValue) -> PostgresJSONB {
        PostgresJSONB(JSONWriter.string(value))
    }

    static func value(_ row: PostgresRow, _ column: String) throws -> JSONValue {
        // Parsed in libpq's buffer: a replica's start parses two documents of every deployment.
        let parsed = try row.withBytes(of: PostgresJSONBytes.self, column) { bytes in
            do { return try JSONParser.parse(bytes) } catch {
                throw PostgresError(.decoding, message: "column \(column): \(error)", column: column)
            }
        }
        guard let parsed else {
            throw PostgresError(.decoding, message: "column \(column) is NULL, expected JSON", column: column)
        }
        return parsed
    }

    static func object(_ row: PostgresRow, _ column: String) throws -> [String: JSONValue] {
        let value = try Self.value(row, column)
        guard case .object(let members) = value else {
            throw PostgresError(.decoding, message: "column \(column) is not a JSON object", column: column)
        }
        return members
    }
}
