/// Writes a `JSONValue` as compact JSON with object keys sorted, so that equal values always give
/// equal bytes (response caching and ETags rely on it). Faster than `JSONEncoder` on our hot path.
public enum JSONWriter {
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        // Reserved at once: a tenant's `/model/info` is megabytes of views already written
        // (`.encoded`), and growing the array by doubling copied them and faulted in new pages
        // several times over.
        out.reserveCapacity(max(256, estimatedSize(value, depth: 0)))
        write(value, into: &out)
        return out
    }

    /// About the size `write` gives: exact for written (`.encoded`) values, guessed below the top
    /// three levels, so that estimating costs little next to writing.
    static func estimatedSize(_ value: JSONValue, depth: Int) -> Int {
        switch value {
        case .encoded(let written): return written.bytes.count
        case .string(let text): return text.utf8.count + 2
        case .null, .bool, .int, .double: return 8
        case .array(let items):
            guard depth < 3 else { return items.count * 64 }
            return items.reduce(2 + items.count) { $0 + estimatedSize($1, depth: depth + 1) }
        case .object(let members):
            guard depth < 3 else { return members.count * 64 }
            return members.reduce(2 + members.count) { $0 + $1.key.utf8.count + 3 + estimatedSize($1.value, depth: depth + 1) }
        }
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isFinite {
                // Integral doubles keep a fraction ("128000.0"), as Python's json module writes them.
                out.append(contentsOf: "\(number)".utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .encoded(let written): out.append(contentsOf: written.bytes)
        }
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
