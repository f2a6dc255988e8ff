import Catalog
import Postgres

/// JSONB columns as `JSONValue`s, both ways.
enum JSONColumns {
    static func bind(_ value: [String: JSONValue]) -> PostgresJSONB {
        PostgresJSONB(JSONWriter.string(.object(value)))
    }

    static func object(_ row: PostgresRow, _ column: String) throws -> [String: JSONValue] {
        let text = try row.decode(PostgresJSONB.self, column).text
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch {
            throw PostgresError(.decoding, message: "column \(column): \(error)", column: column)
        }
        guard case .object(let members) = value else {
            throw PostgresError(.decoding, message: "column \(column) is not a JSON object", column: column)
        }
        return members
    }
}
