@testable import CatalogServer
import Testing

@Suite("Body tags")
struct BodyTagTests {
    @Test("equal bodies get equal tags; a body changed in any one byte, or by length, gets another")
    func tagsTellBodiesApart() {
        var tags = Set<String>()
        var bodies = 0
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 64, 1_001] {
            let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(ResponseCache.etag(body) == ResponseCache.etag(Array(body)))
            tags.insert(ResponseCache.etag(body))
            bodies += 1
            for position in Set([0, length / 2, length - 1]) where position >= 0 && position < length {
                for flip: UInt8 in [0x01, 0x80] {
                    var changed = body
                    changed[position] ^= flip
                    tags.insert(ResponseCache.etag(changed))
                    bodies += 1
                }
            }
        }
        #expect(tags.count == bodies)
        #expect(ResponseCache.etag([]).hasPrefix("\"") && ResponseCache.etag([]).hasSuffix("-0\""))
    }
}
