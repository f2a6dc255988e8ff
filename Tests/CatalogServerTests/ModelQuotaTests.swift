import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `ModelQuota` through the API: a tenant admin's team holds at most so many models and bytes
/// (429), every model at most so many bytes (413), admins are not held to the tenant limits, and
/// concurrent creates cannot race past the last free place.
@Suite("Model quotas")
struct ModelQuotaTests {
    static let quota = ModelQuota(maxModelBytes: 2_048, maxModelsPerTenant: 3, maxBytesPerTenant: 1_500)

    /// An application with `quota`, a team `q1` and a tenant admin key of it.
    func withTeam(_ body: @escaping @Sendable (CatalogApplication, any TestClientProtocol, HTTPFields) async throws -> Void) async throws {
        let catalog = try await TestCatalog.make()
        defer { Task { await catalog.close() } }
        var configuration = catalog.configuration()
        configuration.modelQuota = Self.quota
        try await catalog.withApplication(configuration) { app, client in
            #expect(try await client.json("/team/new", method: .post, body: #"{"team_id":"q1"}"#).status == .ok)
            let key = try await client.json("/key/generate", method: .post, body: #"{"team_id":"q1","role":"tenant_admin"}"#)
            let text = try #require((key.body as? [String: Any])?["key"] as? String)
            try await body(app, client, [.authorization: "Bearer \(text)", .contentType: "application/json"])
        }
    }

    /// A tenant admin may choose ids only in its team's namespace (see the README's "Ids,
    /// allow-lists and minted keys").
    static func own(_ name: String) -> String { "team:q1:\(name)" }

    static func model(_ id: String, padding: Int = 0) -> String {
        #"{"model_name":"m-\#(id)","litellm_params":{"model":"openai/gpt-4o","pad":"\#(String(repeating: "x", count: padding))"},"model_info":{"id":"\#(id)"}}"#
    }

    @Test("A tenant admin's team stops at its model limit with 429 in the error shape; nothing is stored past it")
    func modelCount() async throws {
        try await withTeam { app, client, tenantAdmin in
            for index in 0..<3 {
                #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("c\(index)"))).status == .ok)
            }
            let refused = try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("c3")))
            #expect(refused.status == .tooManyRequests)
            #expect(((refused.body as? [String: Any])?["error"] as? [String: Any])?["code"] as? String == "429")
            #expect(try await app.database.models.find(id: Self.own("c3")) == nil)
            // The operator is not held to a tenant's limits.
            #expect(try await client.json("/model/new", method: .post,
                                          body: #"{"model_name":"m-a","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"a1","team_id":"q1"}}"#).status == .ok)
        }
    }

    @Test("A tenant admin's team stops at its byte limit with 429, on create and on update")
    func byteLimit() async throws {
        try await withTeam { app, client, tenantAdmin in
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("b0"), padding: 700)).status == .ok)
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("b1"), padding: 900)).status == .tooManyRequests)
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("b1"), padding: 10)).status == .ok)
            let grow = #"{"model_info":{"id":"team:q1:b1"},"litellm_params":{"pad":"\#(String(repeating: "y", count: 900))"}}"#
            #expect(try await client.json("/model/update", method: .post, headers: tenantAdmin, body: grow).status == .tooManyRequests)
            let stored = try await app.database.models.find(id: Self.own("b1"))
            #expect(stored?.litellmParams["pad"] == .string(String(repeating: "x", count: 10)))
        }
    }

    @Test("A team over its limits (an admin placed models there) may still shrink and edit without growing, never grow")
    func overLimitsShrinks() async throws {
        try await withTeam { (app: CatalogApplication, client: any TestClientProtocol, tenantAdmin: HTTPFields) async throws in
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("o0"), padding: 700)).status == .ok)
            // The operator is not held to the team's limits: q1 ends over both (4 models, > 1,500 bytes).
            for index in 0..<3 {
                let placed = #"{"model_name":"m-p\#(index)","litellm_params":{"model":"openai/gpt-4o","pad":"\#(String(repeating: "z", count: 500))"},"model_info":{"id":"p\#(index)","team_id":"q1"}}"#
                #expect(try await client.json("/model/new", method: .post, body: placed).status == .ok)
            }
            let shrink = #"{"model_info":{"id":"team:q1:o0"},"litellm_params":{"pad":"short"}}"#
            #expect(try await client.json("/model/update", method: .post, headers: tenantAdmin, body: shrink).status == .ok)
            #expect(try await app.database.models.find(id: Self.own("o0"))?.litellmParams["pad"] == "short")
            let sameSize = #"{"model_info":{"id":"team:q1:o0"},"litellm_params":{"pad":"SHORT"}}"#
            #expect(try await client.json("/model/update", method: .post, headers: tenantAdmin, body: sameSize).status == .ok)
            let grow = #"{"model_info":{"id":"team:q1:o0"},"litellm_params":{"pad":"longer than before"}}"#
            #expect(try await client.json("/model/update", method: .post, headers: tenantAdmin, body: grow).status == .tooManyRequests)
            #expect(try await app.database.models.find(id: Self.own("o0"))?.litellmParams["pad"] == "SHORT")
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("o1"))).status == .tooManyRequests)
        }
    }

    @Test("A model over the per-model limit is 413 for everyone, admins included, on create and on update")
    func modelSize() async throws {
        try await withTeam { (app: CatalogApplication, client: any TestClientProtocol, tenantAdmin: HTTPFields) async throws in
            let big = Self.model("s0", padding: 3_000)
            #expect(try await client.json("/model/new", method: .post, body: big).status == .contentTooLarge)
            #expect(try await client.json("/model/new", method: .post, headers: tenantAdmin,
                                          body: Self.model(Self.own("s0"), padding: 3_000)).status == .contentTooLarge)
            #expect(try await app.database.models.find(id: "s0") == nil)
            #expect(try await app.database.models.find(id: Self.own("s0")) == nil)
            #expect(try await client.json("/model/new", method: .post, body: Self.model("s1")).status == .ok)
            let grow = #"{"litellm_params":{"pad":"\#(String(repeating: "y", count: 3_000))"}}"#
            #expect(try await client.json("/model/s1/update", method: .patch, body: grow).status == .contentTooLarge)
        }
    }

    @Test("Concurrent creates in one team: exactly the limit succeed, the rest get 429")
    func concurrentCreates() async throws {
        try await withTeam { app, client, tenantAdmin in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                // Six at once: enough to race for the last places, few enough that none waits for a
                // pool connection past its timeout on a loaded machine (that would be a 503).
                for index in 0..<6 {
                    group.addTask {
                        try await client.json("/model/new", method: .post, headers: tenantAdmin, body: Self.model(Self.own("r\(index)"))).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 3)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 3, "\(statuses)")
            let stored = try await app.database.models.all().filter { $0.tenantID == "q1" }
            #expect(stored.count == 3)
        }
    }
}
