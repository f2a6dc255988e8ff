import Catalog
import Postgres

/// JSONB columns as `JSONValue`s, both ways.
enum JSONColumns {
    static func bind(_ value: [String: JSONValue]) -> PostgresJSONB {
        PostgresJSONB(JSONWriter.string(.object(value)))
    }

    static func object(_ row: PostgresRow, _ column: String) throws -> [String: JSONValue] {
        let json = try row.decode(PostgresJSONBytes.self, column)
        let value: JSONValue
        do { value = try JSONParser.parse(bytes: json.bytes) } catch {
            throw PostgresError(.decoding, message: "column \(column): \(error)", column: column)
        }
        guard case .object(let members) = value else {
            throw PostgresError(.decoding, message: "column \(column) is not a JSON object", column: column)
        }
        return members
    }
}
