import Catalog
import Foundation
import Testing

@Suite("JSONParser")
struct JSONParserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every JSON document we have: LiteLLM's cost map and the reference responses.
    static func documents() throws -> [(String, Data)] {
        var paths = ["Sources/CatalogStore/Resources/model_prices_and_context_window.json"]
        let fixtures = root.appendingPathComponent("Tests/Fixtures/litellm")
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path).sorted() where name.hasSuffix(".json") {
            paths.append("Tests/Fixtures/litellm/" + name)
        }
        return try paths.map { ($0, try Data(contentsOf: root.appendingPathComponent($0))) }
    }

    /// JSONDecoder's `Codable` path decodes every integral number as `.int` ("1.0", "1e3"); the
    /// parser keeps what the text says. Equal once integral doubles are read as integers.
    static func integralAsInt(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let number) where number.rounded() == number && abs(number) < 9e18: return .int(Int(number))
        case .array(let items): return .array(items.map(integralAsInt))
        case .object(let members): return .object(members.mapValues(integralAsInt))
        default: return value
        }
    }

    @Test("agrees with JSONDecoder on the cost map and every reference response, but for 1.0 staying a double")
    func agreesWithJSONDecoder() throws {
        let documents = try Self.documents()
        #expect(documents.count >= 5)
        for (path, data) in documents {
            let expected = try JSONDecoder().decode(JSONValue.self, from: data)
            let parsed = try JSONParser.parse(String(decoding: data, as: UTF8.self))
            // Not one big #expect: its failure message would print the whole cost map.
            let agrees = Self.integralAsInt(parsed) == expected
            #expect(agrees, "\(path) parses differently")
        }
    }

    @Test("numbers: a literal without fraction or exponent that fits in Int is .int, anything else .double")
    func numbers() throws {
        let cases: [(String, JSONValue)] = [
            ("0", .int(0)), ("-0", .int(0)), ("7", .int(7)), ("-12", .int(-12)),
            ("9223372036854775807", .int(Int.max)), ("-9223372036854775808", .int(Int.min)),
            ("9223372036854775808", .double(9223372036854775808)), ("1.0", .double(1)), ("128000.0", .double(128000)),
            ("2.5e-06", .double(2.5e-06)), ("1e3", .double(1000)), ("1E+2", .double(100)), ("3.000001", .double(3.000001)),
            ("1.7976931348623157e308", .double(1.7976931348623157e308)),
        ]
        for (text, expected) in cases {
            #expect(try JSONParser.parse(text) == expected, "\(text)")
        }
        // What the writer writes, the parser reads back as the same value.
        for (_, value) in cases {
            #expect(try JSONParser.parse(JSONWriter.string(value)) == value)
        }
    }

    @Test("strings: escapes, surrogate pairs and raw UTF-8")
    func strings() throws {
        let text = #"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4e2d\ud83d\ude00", "é中😀", ""]"#
        #expect(try JSONParser.parse(text) == .array(["a\"b\\c/d\u{8}\u{c}\n\r\t", "é中😀", "é中😀", ""]))
        #expect(try JSONParser.parse(text) == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))))
    }

    @Test("refuses what is not JSON", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru",
        "nul", "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\u{1}b\"", "[1] 2", "NaN", "Infinity", "1e999",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ])
    func refuses(text: String) {
        #expect(throws: JSONParser.SyntaxError.self, "\(text.prefix(40))") { try JSONParser.parse(text) }
    }

    @Test("whitespace around values, duplicate keys keep the last, deep but bounded nesting parses")
    func edges() throws {
        #expect(try JSONParser.parse(" \n\t{ \"a\" : [ 1 , true , null ] }\r\n") == ["a": [1, true, nil]])
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == ["a": 2])
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONParser.parse(deep) }
    }
}
