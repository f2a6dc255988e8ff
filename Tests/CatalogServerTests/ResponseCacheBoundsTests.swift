import Catalog
@testable import CatalogServer
import Hummingbird
import NIOCore
import Testing

@Suite("Response cache bounds")
struct ResponseCacheBoundsTests {
    static func key(_ path: String) -> ResponseCache.Key {
        ResponseCache.Key(scope: .everything, path: "/" + path)
    }

    static func request(_ path: String) -> Request {
        Request(head: .init(method: .get, scheme: "http", authority: "localhost", path: path), body: .init(buffer: ByteBuffer()))
    }

    /// A body of about `size` bytes.
    static func body(_ size: Int) -> JSONValue { .string(String(repeating: "x", count: size - 2)) }

    @Test("past its byte bound the cache starts over; a body larger than the bound is served but not kept")
    func bytes() async throws {
        let cache = ResponseCache(maxEntries: 100, maxBytes: 1000)
        var built = 0
        func get(_ key: String, _ size: Int) async throws -> Int {
            let response = try await cache.response(key: Self.key(key), version: 1, request: Self.request("/" + key)) {
                built += 1
                return Self.body(size)
            }
            #expect(response.status == .ok)
            return cache.usage.bytes
        }
        #expect(try await get("a", 400) == 400)
        #expect(try await get("b", 400) == 800)
        #expect(try await get("a", 400) == 800)
        #expect(built == 2, "a was built again while cached")
        // 1,200 bytes would exceed the bound: the cache starts over with c alone.
        #expect(try await get("c", 400) == 400)
        #expect(cache.usage.entries == 1)
        // Too big to keep at all: served every time, never stored.
        #expect(try await get("huge", 2000) == 400)
        #expect(try await get("huge", 2000) == 400)
        #expect(built == 5)
    }

    @Test("past its entry bound the cache starts over")
    func entries() async throws {
        let cache = ResponseCache(maxEntries: 3, maxBytes: 1 << 20)
        for key in ["a", "b", "c"] {
            _ = try await cache.response(key: Self.key(key), version: 1, request: Self.request("/" + key)) { Self.body(10) }
        }
        #expect(cache.usage.entries == 3)
        _ = try await cache.response(key: Self.key("d"), version: 1, request: Self.request("/d")) { Self.body(10) }
        #expect(cache.usage == (1, 10))
    }
}
