import Catalog
import Foundation
import HTTPTypes
import Hummingbird

/// The admin page (`/ui`): hand-written HTML, CSS and JavaScript modules bundled with the service
/// (`Resources/ui`), loaded once at start. No key is needed to load the page: it asks for one, and
/// talks only to the public API with it. Nothing is fetched from elsewhere, so the page works on
/// an air-gapped network, and the Content-Security-Policy says so to the browser.
struct AdminPageController: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
    }

    /// File name → asset.
    let assets: [String: Asset]

    /// Same origin only, no inline script or style, no framing: a page that shows a catalog's
    /// configuration loads nothing it did not ship with.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-cache",
    ]

    /// The page's files from the program's bundle, read once (tests build many routers).
    static func bundled() -> AdminPageController {
        switch files {
        case .success(let assets): return AdminPageController(assets: assets)
        case .failure(let error): fatalError("the admin page cannot be served: \(error)")
        }
    }

    static let files: Result<[String: Asset], CatalogError> = {
        guard let directory = Bundle.module.url(forResource: "ui", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { return .failure(.internal(message: "Resources/ui is not in the CatalogServer bundle")) }
        var assets: [String: Asset] = [:]
        for name in names {
            guard let type = contentType(of: name) else { continue }
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)) else {
                return .failure(.internal(message: "Resources/ui/\(name) cannot be read"))
            }
            assets[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type)
        }
        return .success(assets)
    }()

    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        default: return nil
        }
    }

    func addRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/ui") { _, _ in try serve("index.html") }
        router.get("/ui/{file}") { _, context in try serve(try context.pathParameter("file")) }
    }

    func serve(_ name: String) throws -> Response {
        guard let asset = assets[name] else { throw CatalogError.notFound(message: "the admin page has no file '\(name)'") }
        var headers = Self.securityHeaders
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
