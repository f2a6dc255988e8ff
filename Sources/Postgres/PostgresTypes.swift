import Foundation

/// PostgreSQL type OIDs this module binds and decodes (from `pg_type.dat`).
public enum PostgresOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let unknown: UInt32 = 705
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
    public static let textArray: UInt32 = 1009
}

/// One bound parameter, as libpq takes it: a type OID and the value's bytes (nil is SQL NULL).
public struct PostgresBind: Sendable {
    public var type: UInt32
    public var bytes: [UInt8]?
    /// libpq's parameter format: 0 text, 1 binary.
    public var format: Int32

    public init(type: UInt32, bytes: [UInt8]?, format: Int32 = 0) {
        self.type = type
        self.bytes = bytes
        self.format = format
    }
}

/// A Swift value that can travel as a query parameter.
public protocol PostgresEncodable: Sendable {
    var postgresBind: PostgresBind { get }
}

/// A Swift value that can be read from a result column (sent by the server in text format).
public protocol PostgresDecodable {
    /// The column types this value accepts; anything else is a decoding error naming the column.
    /// Stored, not computed, by every conformer: it is consulted for every cell decoded.
    static var acceptedTypes: Set<UInt32> { get }
    /// Decodes the column's text-format bytes, or throws a message saying why not. The bytes are
    /// libpq's own, valid only during the call: a value that keeps them copies them.
    static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Self
}

/// Why a column's bytes could not become the requested type (without the bytes themselves).
public struct PostgresDecodingFailure: Error, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.text, bytes: Array(utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.text, PostgresOID.varchar, PostgresOID.bpchar, PostgresOID.name, PostgresOID.unknown,
         PostgresOID.json, PostgresOID.jsonb, PostgresOID.uuid]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.int8, bytes: Array(String(self).utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.int2, PostgresOID.int4, PostgresOID.int8, PostgresOID.oid]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Int {
        guard let value = Int(String(decoding: bytes, as: UTF8.self)) else { throw .init("not an integer") }
        return value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.int4, bytes: Array(String(self).utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.int2, PostgresOID.int4]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Int32 {
        guard let value = Int32(String(decoding: bytes, as: UTF8.self)) else { throw .init("not a 32-bit integer") }
        return value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.int8, bytes: Array(String(self).utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.int2, PostgresOID.int4, PostgresOID.int8, PostgresOID.oid]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Int64 {
        guard let value = Int64(String(decoding: bytes, as: UTF8.self)) else { throw .init("not an integer") }
        return value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.bool, bytes: Array((self ? "t" : "f").utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.bool]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Bool {
        guard bytes.count == 1 else { throw .init("not a boolean") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw .init("not a boolean")
        }
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind {
        // "%.17g" round-trips every finite double; PostgreSQL spells the special values itself.
        let text: String
        if isNaN { text = "NaN" } else if self == .infinity { text = "Infinity" } else if self == -.infinity { text = "-Infinity" } else {
            text = "\(self)"
        }
        return PostgresBind(type: PostgresOID.float8, bytes: Array(text.utf8))
    }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.float4, PostgresOID.float8, PostgresOID.numeric, PostgresOID.int2, PostgresOID.int4, PostgresOID.int8]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Double {
        guard let value = Double(String(decoding: bytes, as: UTF8.self)) else { throw .init("not a number") }
        return value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.uuid, bytes: Array(uuidString.lowercased().utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.uuid]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> UUID {
        guard let value = UUID(uuidString: String(decoding: bytes, as: UTF8.self)) else { throw .init("not a uuid") }
        return value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresBind: PostgresBind {
        // Microseconds since the Unix epoch, handed to to_timestamp-free text input: an ISO 8601 UTC stamp.
        PostgresBind(type: PostgresOID.timestamptz, bytes: Array(PostgresTimestamp.format(self).utf8))
    }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.timestamptz, PostgresOID.timestamp]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> Date {
        guard let date = PostgresTimestamp.parse(bytes: bytes) else {
            throw .init("not a timestamp")
        }
        return date
    }
}

/// Raw bytes, bound and read as `bytea`.
public struct PostgresBytes: PostgresEncodable, PostgresDecodable, Hashable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.bytea, bytes: bytes, format: 1) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.bytea]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> PostgresBytes {
        // Text output of bytea is "\x" followed by hex digits (bytea_output = hex, the default).
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw .init("not hex-encoded bytea")
        }
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw .init("not hex-encoded bytea")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return PostgresBytes(out)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A JSON document bound as `jsonb` (its text is sent as is; PostgreSQL validates it).
public struct PostgresJSONB: PostgresEncodable, PostgresDecodable, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }

    public var postgresBind: PostgresBind { PostgresBind(type: PostgresOID.jsonb, bytes: Array(text.utf8)) }
    public static let acceptedTypes: Set<UInt32> = [PostgresOID.jsonb, PostgresOID.json]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> PostgresJSONB {
        PostgresJSONB(String(decoding: bytes, as: UTF8.self))
    }
}

/// A json or jsonb column's text as UTF-8 bytes, for a parser that reads bytes: no `String` is
/// made (and validated) on the way, which counts when a replica loads every row.
public struct PostgresJSONBytes: PostgresDecodable, Sendable {
    public let bytes: [UInt8]

    public static let acceptedTypes: Set<UInt32> = [PostgresOID.jsonb, PostgresOID.json]
    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> PostgresJSONBytes {
        PostgresJSONBytes(bytes: Array(bytes))
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBind: PostgresBind {
        switch self {
        case .some(let value): return value.postgresBind
        case .none: return PostgresBind(type: Wrapped.self == String.self ? PostgresOID.text : 0, bytes: nil)
        }
    }
}

extension Array: PostgresEncodable where Element == String {
    /// A `text[]` parameter, written as an array literal with every element quoted.
    public var postgresBind: PostgresBind {
        let elements = map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return PostgresBind(type: PostgresOID.textArray, bytes: [UInt8](("{" + elements.joined(separator: ",") + "}").utf8))
    }
}

/// Formatting and parsing of `timestamptz` text in UTC.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((micros / 1_000_000).rounded(.down))
        let fraction = Int64(micros) - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let fractionText = String(fraction).leftPadded(to: 6)
        return "\(parts.tm_year + 1900)-\(String(parts.tm_mon + 1).leftPadded(to: 2))-\(String(parts.tm_mday).leftPadded(to: 2)) "
            + "\(String(parts.tm_hour).leftPadded(to: 2)):\(String(parts.tm_min).leftPadded(to: 2)):\(String(parts.tm_sec).leftPadded(to: 2)).\(fractionText)+00"
    }

    /// Parses PostgreSQL's ISO output, e.g. `2026-11-26 23:51:35.123456+00` or `…+05:30`, by
    /// arithmetic on the column's bytes: a replica reads two timestamps of every deployment at
    /// start, and going through `String`, `Int(String)` and `timegm` was most of a second at a
    /// million.
    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                guard digit >= 0 && digit <= 9 else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let yearOfEra = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, index - start < 9, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            // Digits over a power of ten: both exact in a Double, so the quotient is the double
            // nearest the decimal, as reading ".123456" as a Double gives.
            if index > start, let digits = number(start..<index) {
                var scale = 1.0
                for _ in start..<index { scale *= 10 }
                fraction = Double(digits) / scale
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            // `hh`, `hh:mm` or `hh:mm:ss`.
            var part = index + 1
            var scale = 3600
            while part + 2 <= bytes.count, scale >= 1, let value = number(part..<part + 2) {
                offsetSeconds += value * scale
                part += 3
                scale /= 60
            }
            offsetSeconds *= sign
        }
        // Years before the first are written `… BC` (1 BC is year 0 of the proleptic calendar).
        let year = bytes.count >= 3 && bytes[(bytes.count - 3)...].elementsEqual(" BC".utf8) ? 1 - yearOfEra : yearOfEra
        let epoch = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return Date(timeIntervalSince1970: Double(epoch) - Double(offsetSeconds) + fraction)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A one-dimensional `text[]` read from its text form (`{a,"b c",NULL}`).
public struct PostgresTextArray: PostgresDecodable, Hashable, Sendable {
    public var elements: [String]

    public static let acceptedTypes: Set<UInt32> = [PostgresOID.textArray, 1015]  // text[], varchar[]

    public static func decode(postgresText bytes: UnsafeBufferPointer<UInt8>) throws(PostgresDecodingFailure) -> PostgresTextArray {
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { throw .init("not an array") }
        var elements: [String] = []
        var current: [UInt8] = []
        var quoted = false, inQuotes = false, escaped = false, hasElement = false
        for byte in bytes.dropFirst().dropLast() {
            if escaped {
                current.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
                quoted = true
                hasElement = true
            } else if byte == UInt8(ascii: ","), !inQuotes {
                elements.append(String(decoding: current, as: UTF8.self))
                current = []
                quoted = false
            } else {
                current.append(byte)
                hasElement = true
            }
        }
        if hasElement || quoted { elements.append(String(decoding: current, as: UTF8.self)) }
        return PostgresTextArray(elements: elements)
    }
}
