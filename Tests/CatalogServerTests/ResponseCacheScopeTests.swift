import Catalog
@testable import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Scoped invalidation (issue 16, item 2): a new snapshot generation drops only the cached reads
/// its changes can have touched.
@Suite("Response cache: scoped invalidation")
struct ResponseCacheScopeTests {
    static let a = AccessPolicy.ReadScope.tenant(ExactID("team-a"), .all)
    static let b = AccessPolicy.ReadScope.tenant(ExactID("team-b"), .all)
    static let personal = AccessPolicy.ReadScope.tenant(nil, .all)

    static func request(_ path: String) -> Request {
        Request(head: .init(method: .get, scheme: "http", authority: "localhost", path: path), body: .init(buffer: ByteBuffer()))
    }

    @Test("the policy: a tenant's model touches its tenant's scopes and the every-tenant ones; a shared model every scope")
    func policy() {
        let changeA = ReadInvalidation.models(tenants: [ExactID("team-a")])
        #expect(AccessPolicy.readScope(Self.a, isAffectedBy: changeA))
        #expect(!AccessPolicy.readScope(Self.b, isAffectedBy: changeA))
        #expect(!AccessPolicy.readScope(Self.personal, isAffectedBy: changeA))
        #expect(AccessPolicy.readScope(.everything, isAffectedBy: changeA))
        #expect(AccessPolicy.readScope(.everyTenant(.all), isAffectedBy: changeA))
        let shared = ReadInvalidation.models(tenants: [nil])
        for scope in [Self.a, Self.b, Self.personal, .everything] { #expect(AccessPolicy.readScope(scope, isAffectedBy: shared)) }
        for scope in [Self.a, Self.b, Self.personal] { #expect(AccessPolicy.readScope(scope, isAffectedBy: .everything)) }
        #expect(!AccessPolicy.readScope(Self.b, isAffectedBy: .models(tenants: [])))
        #expect(changeA.merged(with: .models(tenants: [ExactID("team-b")])) == .models(tenants: [ExactID("team-a"), ExactID("team-b")]))
        #expect(changeA.merged(with: .everything) == .everything)
    }

    @Test("tenant B's cached body survives a change of tenant A's model; A's and the admin's are built again")
    func survivesOtherTenantsChange() async throws {
        let cache = ResponseCache()
        let log = InvalidationLog()
        let built = Counter()
        func read(_ scope: AccessPolicy.ReadScope, _ version: Int64, _ name: String) async throws {
            let key = ResponseCache.Key(scope: scope, path: "/model/info")
            _ = try await cache.response(key: key, version: version, request: Self.request("/model/info"), invalidations: log) {
                built.add(name)
                return .string("\(name)@\(version)")
            }
        }
        for (scope, name) in [(Self.a, "a"), (Self.b, "b"), (AccessPolicy.ReadScope.everything, "admin")] { try await read(scope, 1, name) }
        #expect(built.names == ["a", "b", "admin"])

        log.record(2, .models(tenants: [ExactID("team-a")]))
        for (scope, name) in [(Self.a, "a"), (Self.b, "b"), (AccessPolicy.ReadScope.everything, "admin")] { try await read(scope, 2, name) }
        #expect(built.names == ["a", "b", "admin", "a", "admin"], "B's body was built again")

        // A shared model: everyone's.
        log.record(3, .models(tenants: [nil]))
        try await read(Self.b, 3, "b")
        #expect(built.names.last == "b")

        // A generation the log does not know (a gap): everything is built again.
        try await read(Self.b, 3, "b")
        let count = built.names.count
        try await read(Self.b, 5, "b")
        #expect(built.names.count == count + 1)
    }

    @Test("a replica records what each write changed: a tenant's model names that tenant; a move both; the cost map everything")
    func replicaRecords() async throws {
        let catalog = try await TestCatalog.make()
        let replica = try await Replica.start(conninfo: catalog.conninfo, name: "scoped-cache")
        try await replica.app.test(.router) { client in
            for team in ["team-a", "team-b"] {
                let made = try await client.json("/team/new", method: .post, body: #"{"team_id":"\#(team)"}"#)
                #expect(made.status == .ok)
            }
            func change(_ body: () async throws -> Void) async throws -> ReadInvalidation? {
                let before = replica.cache.store.snapshot.generation
                try await body()
                let after = replica.cache.store.snapshot.generation
                #expect(after > before)
                return replica.cache.store.invalidations.changes(after: before, through: after)
            }
            let created = try await change {
                let made = try await client.json("/model/new", method: .post, body: """
                    {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-a","team_id":"team-a"}}
                    """)
                #expect(made.status == .ok)
            }
            #expect(created == .models(tenants: [ExactID("team-a")]))
            let moved = try await change {
                let patched = try await client.json("/model/m-a/update", method: .patch, body: #"{"model_info":{"team_id":"team-b"}}"#)
                #expect(patched.status == .ok)
            }
            #expect(moved == .models(tenants: [ExactID("team-a"), ExactID("team-b")]))
            let override = try await change {
                let set = try await client.json("/cost_map/overrides", method: .post, body: #"{"model":"gpt-4o","prices":{"input_cost_per_token":1e-06}}"#)
                #expect(set.status == .ok)
            }
            #expect(override == .everything)
        }
        await replica.close()
        await catalog.close()
    }
}

/// Names in the order they were added, from any task.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var added: [String] = []
    func add(_ name: String) { lock.withLock { added.append(name) } }
    var names: [String] { lock.withLock { added } }
}
