// The benchmark's ceiling: the same server stack as model-catalog (Hummingbird, one route behind
// the same kind of middleware) answering a static body of a given size. Not part of the product.
//
//   catalog-bench-ceiling --port 4100 --bytes 123456
import Foundation
import Hummingbird

struct StaticBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try await next(request, context)
    }
}

let arguments = CommandLine.arguments
func value(_ flag: String, default fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else {
        return fallback
    }
    return number
}
let port = value("--port", default: 4100)
let size = value("--bytes", default: 1024)
let body = ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "x"), count: size))

let router = Router()
router.add(middleware: StaticBodyMiddleware())
router.get("/static") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
