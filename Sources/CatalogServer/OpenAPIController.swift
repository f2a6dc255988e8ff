import Catalog
import Foundation
import Hummingbird

/// GET /openapi.json: the API's OpenAPI 3.1 description, public as in LiteLLM.
///
/// The document is written by hand as `Resources/openapi.yaml` (the repository's `openapi.yaml`
/// links to it) and converted to JSON once per process: it cannot change while the process runs.
struct OpenAPIController: Sendable {
    /// The document as JSON bytes (keys sorted, so every replica serves the same bytes).
    let body: ByteBuffer

    /// Loads the bundled document. A missing or unreadable resource is a broken build, not a
    /// request's problem: the process stops at startup saying so, rather than answer 500 per request.
    static func bundled() -> OpenAPIController {
        switch document {
        case .success(let bytes): return OpenAPIController(body: ByteBuffer(bytes: bytes))
        case .failure(let error): fatalError("the bundled openapi.yaml cannot be served: \(error)")
        }
    }

    /// Read and converted once, on first use: tests build many routers in one process.
    static let document: Result<[UInt8], OpenAPIDocumentError> = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            return .failure(OpenAPIDocumentError(description: "Resources/openapi.yaml is not in the CatalogServer bundle"))
        }
        do {
            let json = try YAMLDocument.json(try String(contentsOf: url, encoding: .utf8), file: url.path)
            guard json["openapi"]?.stringValue != nil, json["paths"]?.objectValue != nil else {
                return .failure(OpenAPIDocumentError(description: "\(url.path) is not an OpenAPI document (no openapi or paths)"))
            }
            return .success(JSONWriter.bytes(json))
        } catch {
            return .failure(OpenAPIDocumentError(description: "\(error)"))
        }
    }()

    func addRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
    }
}

/// Checks the server's bundled resources (the OpenAPI document) so that `serve` can stop on a
/// broken build before it starts anything, such as the embedded PostgreSQL.
public func verifyBundledResources() throws {
    if case .failure(let error) = OpenAPIController.document { throw error }
}

/// Why the bundled OpenAPI document cannot be served.
struct OpenAPIDocumentError: Error, CustomStringConvertible, Sendable {
    var description: String
}
