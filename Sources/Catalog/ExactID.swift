/// An identifier (team, key or model id, model name) compared as PostgreSQL compares `text`:
/// byte for byte in UTF-8.
///
/// Swift's `String ==` and `String.hashValue` follow Unicode canonical equivalence, so `café`
/// (NFC) and `cafe` + U+0301 (NFD) are one string to Swift and two rows to the database. Every
/// rule that decides "is this the same tenant / model / key" compares `ExactID`s, never `String`s,
/// so that Swift and the database always agree on what is one thing.
public struct ExactID: Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    public init(_ text: String) {
        self.text = text
    }

    public init(stringLiteral text: String) {
        self.text = text
    }

    public static func == (lhs: ExactID, rhs: ExactID) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    /// Byte order, as PostgreSQL's "C" collation orders text.
    public static func < (lhs: ExactID, rhs: ExactID) -> Bool {
        lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        // The bytes and their count: hashing the String would merge canonically equivalent ones.
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(text.utf8.count)
    }

    public var description: String { text }

    /// Whether two optional ids (nil: no tenant) name the same thing, byte for byte.
    public static func same(_ lhs: String?, _ rhs: String?) -> Bool {
        switch (lhs, rhs) {
        case (nil, nil): true
        case (let lhs?, let rhs?): ExactID(lhs) == ExactID(rhs)
        default: false
        }
    }
}
