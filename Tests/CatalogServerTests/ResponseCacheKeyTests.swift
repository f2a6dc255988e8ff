import Catalog
@testable import CatalogServer
import Hummingbird
import NIOCore
import Testing

/// The response cache's key: structured and byte-exact, and made only of what the route reads.
@Suite("Response cache key")
struct ResponseCacheKeyTests {
    static func request(_ path: String) -> Request {
        Request(head: .init(method: .get, scheme: "http", authority: "localhost", path: path), body: .init(buffer: ByteBuffer()))
    }

    static func key(_ path: String, reads: [String] = ["team_id", "page"], scope: AccessPolicy.ReadScope = .everything) -> ResponseCache.Key {
        ResponseCache.Key(scope: scope, request: request(path), reads: reads)
    }

    @Test("parameters a route does not read, their order and their encoding do not change the key")
    func unreadParameters() {
        #expect(Self.key("/v2/model/info?page=2&junk=1") == Self.key("/v2/model/info?junk=2&page=2"))
        #expect(Self.key("/v2/model/info?team_id=a&page=2") == Self.key("/v2/model/info?page=2&team_id=%61"))
        #expect(Self.key("/v2/model/info?page=2") != Self.key("/v2/model/info?page=3"))
        #expect(Self.key("/v2/model/info?page=") != Self.key("/v2/model/info"), "empty and absent differ")
        #expect(Self.key("/model/info?team_id=caf%C3%A9") != Self.key("/model/info?team_id=cafe%CC%81"), "byte-exact values")
    }

    @Test("unique unread query strings of one caller make no new entries, so they push out nobody's")
    func noEviction() async throws {
        let cache = ResponseCache(maxEntries: 8, maxBytes: 1 << 20)
        let scope = AccessPolicy.ReadScope.tenant("t1", .all)
        _ = try await cache.response(key: Self.key("/model/info", scope: .everything), version: 1, request: Self.request("/model/info")) { ["a": 1] }
        for n in 0..<100 {
            let path = "/model/info?unread=\(n)"
            _ = try await cache.response(key: Self.key(path, scope: scope), version: 1, request: Self.request(path)) { ["b": 2] }
        }
        #expect(cache.usage.entries == 2)
    }
}
