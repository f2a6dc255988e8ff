import Catalog
import Foundation
import Hummingbird

/// JSON request and response bodies of the catalog's routes.
enum JSONBody {
    /// A response whose body is `value`, written with sorted keys (equal data, equal bytes).
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value))))
    }
}

/// Reading JSON request bodies: at most 1 MiB, parsed into a `JSONValue`.
enum RequestJSON {
    static let maxBodySize = ServerLimits.maxBodySize

    /// The body, or nil when there is none (routes whose body LiteLLM makes optional).
    static func readOptional(_ request: Request) async throws -> JSONValue? {
        let buffer = try await bytes(request)
        guard buffer.readableBytes > 0 else { return nil }
        return try parse(Array(buffer.readableBytesView))
    }

    /// The body's bytes, at most 1 MiB (413 past that), whatever they hold.
    static func bytes(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: maxBodySize)
        } catch {
            throw CatalogError.tooLarge(message: "the request body is larger than 1 MiB")
        }
    }

    static func read(_ request: Request) async throws -> JSONValue {
        guard let value = try await readOptional(request) else {
            throw CatalogError.invalid(field: nil, message: "the request body is empty: send a JSON object")
        }
        return value
    }

    private static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes: bytes)
        } catch let error as JSONParser.SyntaxError {
            // The offset and reason only: never the text around it, which may be a key.
            throw CatalogError.invalid(field: nil, message: "the request body is not valid JSON (\(error.reason) at byte \(error.offset))")
        }
    }
}
