import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// If-Match on every write (issue 14): two writers that read the same version race, exactly one
/// wins, the other gets a 412 in the error shape naming the current version, and the stored state
/// is the winner's. Without If-Match, concurrent partial updates of different fields all survive.
@Suite("Optimistic concurrency: ETag and If-Match")
struct OptimisticConcurrencyTests {
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var etag: String?
        var text: String
        /// The body as a JSON object (empty when it is none).
        var body: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    }

    static func send(_ client: any TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get,
                     ifMatch: String? = nil, body: String? = nil) async throws -> Reply {
        var headers = adminHeaders
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            Reply(status: response.status, etag: response.headers[.eTag], text: String(buffer: response.body))
        }
    }

    /// Runs both writes at once and returns their replies in the order given.
    static func race(_ first: @escaping @Sendable () async throws -> Reply,
                     _ second: @escaping @Sendable () async throws -> Reply) async throws -> (Reply, Reply) {
        async let a = first()
        async let b = second()
        return try await (a, b)
    }

    /// The 412's error shape: LiteLLM's error object, naming If-Match and the current version.
    static func expectPreconditionFailed(_ reply: Reply, current: String?) {
        #expect(reply.status == .preconditionFailed)
        let error = reply.body["error"] as? [String: Any]
        #expect(error?["param"] as? String == "If-Match")
        #expect(error?["type"] as? String == "invalid_request_error")
        #expect((error?["message"] as? String)?.contains("current version") == true, "\(reply.text)")
        if let current { #expect(reply.etag == current) }
    }

    static func modelInfo(_ reply: Reply) -> [String: Any]? {
        ((reply.body["data"] as? [[String: Any]])?.first ?? reply.body)["model_info"] as? [String: Any]
    }

    @Test("two writers of one model with the same If-Match: one 200, one 412, the winner's state stored")
    func modelRace() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await Self.send(client, "/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1","tier":"free"}}
                """)
            #expect(created.status == .ok)
            let read = try await Self.send(client, "/model/info?litellm_model_id=m-1")
            let tag = try #require(read.etag)
            #expect(tag == created.etag)
            #expect(Self.modelInfo(read)?["version"] as? Int == Int(tag.dropFirst().dropLast()))

            let (a, b) = try await Self.race(
                { try await Self.send(client, "/model/m-1/update", method: .patch, ifMatch: tag, body: #"{"model_info":{"tier":"a"}}"#) },
                { try await Self.send(client, "/model/update", method: .post, ifMatch: tag, body: #"{"model_info":{"id":"m-1","tier":"b"}}"#) })
            #expect([a.status, b.status].sorted { $0.code < $1.code } == [.ok, .preconditionFailed])
            let (winner, loser) = a.status == .ok ? (a, b) : (b, a)
            Self.expectPreconditionFailed(loser, current: winner.etag)
            #expect(winner.etag != tag)
            let stored = try await Self.send(client, "/model/info?litellm_model_id=m-1")
            #expect(Self.modelInfo(stored)?["tier"] as? String == Self.modelInfo(winner)?["tier"] as? String)
            #expect(stored.etag == winner.etag)

            // The loser reads again and reapplies: its new tag holds.
            let retried = try await Self.send(client, "/model/m-1/update", method: .patch, ifMatch: stored.etag,
                                              body: #"{"model_info":{"tier":"c"}}"#)
            #expect(retried.status == .ok)
        }
        await catalog.close()
    }

    @Test("a stale If-Match on delete and block changes nothing; * and the current tag go through")
    func staleDelete() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await Self.send(client, "/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1"}}
                """)
            let first = try #require(created.etag)
            let changed = try await Self.send(client, "/model/m-1/update", method: .patch, body: #"{"model_info":{"tier":"x"}}"#)
            #expect(changed.status == .ok)
            let current = try #require(changed.etag)
            #expect(current != first)

            let blocked = try await Self.send(client, "/model/block", method: .post, ifMatch: first, body: #"{"model_id":"m-1"}"#)
            Self.expectPreconditionFailed(blocked, current: current)
            let deleted = try await Self.send(client, "/model/delete", method: .post, ifMatch: first, body: #"{"id":"m-1"}"#)
            Self.expectPreconditionFailed(deleted, current: current)
            let after = try await Self.send(client, "/model/info?litellm_model_id=m-1")
            #expect(after.status == .ok)
            #expect(after.etag == current)
            #expect(Self.modelInfo(after)?["blocked"] == nil || Self.modelInfo(after)?["blocked"] as? Bool == false)

            let malformed = try await Self.send(client, "/model/m-1/update", method: .patch, ifMatch: "3",
                                                body: #"{"model_info":{"tier":"y"}}"#)
            #expect(malformed.status == .badRequest)
            #expect((malformed.body["error"] as? [String: Any])?["param"] as? String == "If-Match")
            #expect(Self.modelInfo(try await Self.send(client, "/model/info?litellm_model_id=m-1"))?["tier"] as? String == "x")

            let any = try await Self.send(client, "/model/m-1/update", method: .patch, ifMatch: "*", body: #"{"model_info":{"tier":"z"}}"#)
            #expect(any.status == .ok)
            let gone = try await Self.send(client, "/model/delete", method: .post, ifMatch: "\"0\", \(any.etag ?? "")", body: #"{"id":"m-1"}"#)
            #expect(gone.status == .ok)

            // A model made again under the same id continues from the last version: no tag from
            // before the delete matches it.
            let again = try await Self.send(client, "/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1"}}
                """)
            let againVersion = Int((again.etag ?? "").dropFirst().dropLast()) ?? 0
            #expect(againVersion > Int((any.etag ?? "").dropFirst().dropLast()) ?? .max)
        }
        await catalog.close()
    }

    @Test("20 concurrent partial updates of different fields without If-Match lose no field")
    func concurrentPartialUpdates() async throws {
        let catalog = try await TestCatalog.make()
        // The 20 writes take the row's lock one after another: on a loaded machine the last ones
        // wait for a connection longer than the usual 5 s, which would be a 503, not a lost field.
        var configuration = catalog.configuration()
        configuration.database.acquireTimeout = .seconds(120)
        try await catalog.withApplication(configuration) { _, client in
            let created = try await Self.send(client, "/model/new", method: .post, body: """
                {"model_name":"m","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"m-1"}}
                """)
            #expect(created.status == .ok)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for field in 0..<20 {
                    group.addTask {
                        // Both endpoints, both documents: every shape of partial update.
                        field.isMultiple(of: 2)
                            ? try await Self.send(client, "/model/m-1/update", method: .patch,
                                                  body: #"{"model_info":{"field_\#(field)":\#(field)}}"#).status
                            : try await Self.send(client, "/model/update", method: .post,
                                                  body: #"{"id":"m-1","litellm_params":{"field_\#(field)":\#(field)}}"#).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 20)
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            let stored = try await Self.send(client, "/model/info?litellm_model_id=m-1")
            let entry = (stored.body["data"] as? [[String: Any]])?.first
            let info = entry?["model_info"] as? [String: Any] ?? [:]
            let params = entry?["litellm_params"] as? [String: Any] ?? [:]
            for field in 0..<20 {
                let value = field.isMultiple(of: 2) ? info["field_\(field)"] : params["field_\(field)"]
                #expect(value as? Int == field, "field_\(field) was lost")
            }
            // Every write took a version of its own.
            #expect(stored.etag == "\"21\"")
        }
        await catalog.close()
    }

    @Test("credentials: one of two racing PATCHes with the same If-Match wins; delete holds to it too")
    func credentialRace() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let created = try await Self.send(client, "/credentials", method: .post, body: """
                {"credential_name":"c1","credential_values":{"api_key":"sk-live-one"},"credential_info":{"note":"0"}}
                """)
            #expect(created.status == .ok)
            let read = try await Self.send(client, "/credentials/by_name/c1")
            let tag = try #require(read.etag)
            #expect(created.etag == tag)
            let (a, b) = try await Self.race(
                { try await Self.send(client, "/credentials/c1", method: .patch, ifMatch: tag, body: #"{"credential_info":{"note":"a"}}"#) },
                { try await Self.send(client, "/credentials/c1", method: .patch, ifMatch: tag, body: #"{"credential_info":{"note":"b"}}"#) })
            #expect([a.status, b.status].sorted { $0.code < $1.code } == [.ok, .preconditionFailed])
            let (winner, loser) = a.status == .ok ? (a, b) : (b, a)
            Self.expectPreconditionFailed(loser, current: winner.etag)
            let stored = try await Self.send(client, "/credentials/by_name/c1")
            let note = (stored.body["credential_info"] as? [String: Any])?["note"] as? String
            #expect(note == (winner === a ? "a" : "b"))
            #expect(stored.etag == winner.etag)

            let stale = try await Self.send(client, "/credentials/c1", method: .delete, ifMatch: tag)
            Self.expectPreconditionFailed(stale, current: winner.etag)
            #expect(try await Self.send(client, "/credentials/by_name/c1").status == .ok)
        }
        await catalog.close()
    }

    @Test("keys: one of two racing /key/update with the same If-Match wins; teams and access groups hold to it")
    func keyTeamGroupRace() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            let team = try await Self.send(client, "/team/new", method: .post, body: #"{"team_id":"t1","team_alias":"one"}"#)
            #expect(team.status == .ok)
            let generated = try await Self.send(client, "/key/generate", method: .post, body: #"{"team_id":"t1","key_alias":"k0"}"#)
            let token = try #require((generated.body["token"] as? String) ?? (generated.body["token_id"] as? String))
            let info = try await Self.send(client, "/key/info?key=\(token)")
            let tag = try #require(info.etag)
            #expect(generated.etag == tag)
            let (a, b) = try await Self.race(
                { try await Self.send(client, "/key/update", method: .post, ifMatch: tag, body: #"{"key":"\#(token)","key_alias":"ka"}"#) },
                { try await Self.send(client, "/key/update", method: .post, ifMatch: tag, body: #"{"key":"\#(token)","key_alias":"kb"}"#) })
            #expect([a.status, b.status].sorted { $0.code < $1.code } == [.ok, .preconditionFailed])
            let (winner, loser) = a.status == .ok ? (a, b) : (b, a)
            Self.expectPreconditionFailed(loser, current: winner.etag)
            let stored = try await Self.send(client, "/key/info?key=\(token)")
            #expect((stored.body["info"] as? [String: Any])?["key_alias"] as? String == (winner === a ? "ka" : "kb"))
            let staleDelete = try await Self.send(client, "/key/delete", method: .post, ifMatch: tag, body: #"{"keys":["\#(token)"]}"#)
            Self.expectPreconditionFailed(staleDelete, current: nil)
            #expect(try await Self.send(client, "/key/info?key=\(token)").status == .ok)

            // Teams.
            let teamTag = try #require(try await Self.send(client, "/team/info?team_id=t1").etag)
            let renamed = try await Self.send(client, "/team/update", method: .post, ifMatch: teamTag, body: #"{"team_id":"t1","team_alias":"uno"}"#)
            #expect(renamed.status == .ok)
            let staleTeam = try await Self.send(client, "/team/update", method: .post, ifMatch: teamTag, body: #"{"team_id":"t1","team_alias":"eins"}"#)
            Self.expectPreconditionFailed(staleTeam, current: renamed.etag)
            let teamNow = try await Self.send(client, "/team/info?team_id=t1")
            #expect((teamNow.body["team_info"] as? [String: Any])?["team_alias"] as? String == "uno")

            // Access groups: a tag made of the members' versions.
            for id in ["g-1", "g-2"] {
                _ = try await Self.send(client, "/model/new", method: .post, body: """
                    {"model_name":"\(id)","litellm_params":{"model":"openai/gpt-4o"},"model_info":{"id":"\(id)","access_groups":["prod"]}}
                    """)
            }
            let groupTag = try #require(try await Self.send(client, "/access_group/prod/info").etag)
            _ = try await Self.send(client, "/model/g-2/update", method: .patch, body: #"{"model_info":{"tier":"x"}}"#)
            let staleGroup = try await Self.send(client, "/access_group/prod/update", method: .put, ifMatch: groupTag,
                                                 body: #"{"model_ids":["g-1"]}"#)
            #expect(staleGroup.status == .preconditionFailed)
            let members = try await Self.send(client, "/access_group/prod/info")
            #expect(members.etag != groupTag)
            #expect((members.body["deployment_count"] as? Int) == 2)
            let fresh = try await Self.send(client, "/access_group/prod/update", method: .put, ifMatch: members.etag,
                                            body: #"{"model_ids":["g-1"]}"#)
            #expect(fresh.status == .ok)
            // The write's ETag is the group's tag as a read gives it now.
            let reread = try await Self.send(client, "/access_group/prod/info")
            #expect(fresh.etag != nil && fresh.etag == reread.etag)
        }
        await catalog.close()
    }
}

extension OptimisticConcurrencyTests.Reply {
    /// The same reply (the race's replies are told apart by identity of content).
    static func === (lhs: Self, rhs: Self) -> Bool { lhs.text == rhs.text && lhs.status == rhs.status && lhs.etag == rhs.etag }
}
