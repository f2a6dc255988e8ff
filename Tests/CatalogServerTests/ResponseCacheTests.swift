import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Cached read responses: ETag, 304, gzip")
struct ResponseCacheTests {
    @Test("a read carries an ETag, If-None-Match answers 304, gzip decodes to the same bytes, a write changes the tag")
    func etagAndGzip() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        let replica = try await Replica.start(conninfo: catalog.conninfo, name: "replica-cache")
        try await replica.app.test(.router) { client in
            let (etag, plain) = try await client.execute(uri: "/model/info", method: .get, headers: adminHeaders) { response in
                (response.headers[.eTag], response.body)
            }
            #expect(etag != nil)
            let notModified = try await client.execute(
                uri: "/model/info", method: .get, headers: adminHeaders + [.ifNoneMatch: etag ?? ""]) { $0.status }
            #expect(notModified == .notModified)

            var gzipHeaders = adminHeaders
            gzipHeaders[.acceptEncoding] = "gzip, deflate"
            let (encoding, zipped) = try await client.execute(uri: "/model/info", method: .get, headers: gzipHeaders) { response in
                (response.headers[.contentEncoding], response.body)
            }
            #expect(encoding == "gzip")
            var compressed = zipped
            #expect(compressed.readableBytes < plain.readableBytes / 4)
            #expect(try compressed.decompress(with: .gzip()) == plain)

            // Another scope has another body and tag; a write makes a new version.
            #expect(try await client.json("/model/new", method: .post, body: #"{"model_name":"x","litellm_params":{"model":"openai/gpt-4o"}}"#).status == .ok)
            let after = try await client.execute(uri: "/model/info", method: .get, headers: adminHeaders + [.ifNoneMatch: etag ?? ""]) { response in
                (response.status, response.headers[.eTag])
            }
            #expect(after.0 == .ok)
            #expect(after.1 != etag)
        }
        await replica.close()
        await catalog.close()
    }
}

private func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
    var fields = lhs
    for field in rhs { fields[field.name] = field.value }
    return fields
}
