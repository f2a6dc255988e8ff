@testable import CatalogServer
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@Suite("The key a request presents")
struct PresentedKeyTests {
    static func key(_ fields: HTTPFields) -> String? {
        AuthMiddleware.presentedKey(Request(
            head: .init(method: .get, scheme: "http", authority: "localhost", path: "/model/info", headerFields: fields),
            body: .init(buffer: ByteBuffer())))
    }

    @Test("Bearer in any case, spaces and tabs around, LiteLLM's x-litellm-api-key when Authorization is empty, or nothing")
    func variants() {
        #expect(Self.key([.authorization: "Bearer sk-1"]) == "sk-1")
        #expect(Self.key([.authorization: "bearer sk-1"]) == "sk-1")
        #expect(Self.key([.authorization: "BEARER   sk-1 \t"]) == "sk-1")
        #expect(Self.key([.authorization: " \tsk-raw "]) == "sk-raw")
        // An empty credential presents nothing, and does not hide x-litellm-api-key.
        #expect(Self.key([.authorization: "Bearer"]) == nil)
        #expect(Self.key([.authorization: "Bearer \t", HTTPField.Name("x-litellm-api-key")!: "sk-2"]) == "sk-2")
        #expect(Self.key([.authorization: "", HTTPField.Name("x-litellm-api-key")!: "sk-2"]) == "sk-2")
        #expect(Self.key([.authorization: "Bearersk-1"]) == "Bearersk-1")
        #expect(Self.key([.authorization: "   "]) == nil)
        #expect(Self.key([HTTPField.Name("x-litellm-api-key")!: "  sk-2 "]) == "sk-2")
        #expect(Self.key([.authorization: "Bearer sk-a", HTTPField.Name("x-litellm-api-key")!: "sk-b"]) == "sk-a")
        #expect(Self.key([:]) == nil)
    }
}
