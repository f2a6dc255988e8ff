import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing

/// The isolation matrix's access-group table (issue 12): teams A and B and the shared models
/// carry groups of the same names (`prod` in all three; B's `beta-b`), and keys are granted them.
/// Each caller's expected view is declared once, as the deployment ids it may see; every read
/// endpoint's answer is derived from it and compared, and every group write across teams must
/// change no row of the other team. A key granted a group sees exactly that group's models (its
/// team's and the shared ones); no team's group grants or shows another team's models.
extension IsolationMatrixTests {
    enum GroupCaller: String, CaseIterable, Sendable {
        case admin
        /// A's member with ["prod"].
        case aProd
        /// B's member with ["prod"].
        case bProd
        /// A's member with ["beta-b"], the name of B's group.
        case aBeta
        /// A's member with ["none"], a group nothing carries.
        case aEmpty
        case aAdmin
        case bAdmin
    }

    struct GroupModel: Sendable {
        var id: String
        var name: String
        var team: String?
        var groups: [String]
    }

    static let groupModels = [
        GroupModel(id: "s-gpt", name: "gpt-4o", team: nil, groups: ["prod"]),
        GroupModel(id: "s-x", name: "shared-x", team: nil, groups: []),
        GroupModel(id: "team:A:a1", name: "a-one", team: "A", groups: ["prod"]),
        GroupModel(id: "team:A:a2", name: "a-two", team: "A", groups: []),
        GroupModel(id: "team:B:b1", name: "b-one", team: "B", groups: ["prod"]),
        GroupModel(id: "team:B:b2", name: "b-two", team: "B", groups: ["beta-b"]),
    ]

    /// The deployments each caller may see, and the groups its allow-list grants whole.
    static func groupView(_ caller: GroupCaller) -> (ids: [String], granted: Set<String>?) {
        switch caller {
        case .admin: (groupModels.map(\.id), nil)
        case .aProd: (["s-gpt", "team:A:a1"], ["prod"])
        case .bProd: (["s-gpt", "team:B:b1"], ["prod"])
        case .aBeta: ([], ["beta-b"])
        case .aEmpty: ([], ["none"])
        case .aAdmin: (["s-gpt", "s-x", "team:A:a1", "team:A:a2"], nil)
        case .bAdmin: (["s-gpt", "s-x", "team:B:b1", "team:B:b2"], nil)
        }
    }

    static func team(of caller: GroupCaller) -> String? {
        switch caller {
        case .admin: nil
        case .aProd, .aBeta, .aEmpty, .aAdmin: "A"
        case .bProd, .bAdmin: "B"
        }
    }

    @Test("access groups: a granted key sees exactly its group; no team's group grants, shows or changes another's")
    func accessGroupMatrix() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withApplication(catalog.configuration(replica: ReplicaOptions())) { _, client in
            var keys: [GroupCaller: String] = [.admin: TestCatalog.masterKey]
            for team in ["A", "B"] { _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"\#(team)"}"#) }
            for model in Self.groupModels {
                var info: [String: Any] = ["id": model.id, "access_groups": model.groups]
                if let team = model.team { info["team_id"] = team }
                let made = try await client.json("/model/new", method: .post, body: Self.json([
                    "model_name": model.name, "litellm_params": ["model": "openai/gpt-4o"], "model_info": info]))
                #expect(made.status == .ok, "\(made.text)")
            }
            let grants: [GroupCaller: (String, String, [String]?)] = [
                .aProd: ("A", "tenant_member", ["prod"]), .bProd: ("B", "tenant_member", ["prod"]),
                .aBeta: ("A", "tenant_member", ["beta-b"]), .aEmpty: ("A", "tenant_member", ["none"]),
                .aAdmin: ("A", "tenant_admin", nil), .bAdmin: ("B", "tenant_admin", nil),
            ]
            for (caller, grant) in grants {
                var body: [String: Any] = ["team_id": grant.0, "role": grant.1]
                if let models = grant.2 { body["models"] = models }
                let response = try await client.json("/key/generate", method: .post, body: Self.json(body))
                keys[caller] = (response.body as? [String: Any])?["key"] as? String
            }
            func headers(_ caller: GroupCaller) -> HTTPFields {
                [.authorization: "Bearer \(keys[caller] ?? "")", .contentType: "application/json"]
            }
            var mismatches = 0
            var crossTeam = 0
            func expectEqual<T: Equatable>(_ observed: T, _ expected: T, _ label: String) {
                if observed != expected {
                    mismatches += 1
                    Issue.record("\(label): observed \(observed), expected \(expected)")
                }
            }

            // Reads: every endpoint answers from the caller's declared view.
            for caller in GroupCaller.allCases {
                let (ids, granted) = Self.groupView(caller)
                let visible = Self.groupModels.filter { ids.contains($0.id) }
                let names = visible.map(\.name)
                let otherTeam = Self.team(of: caller) == "A" ? "B" : Self.team(of: caller) == "B" ? "A" : nil
                let responses = [
                    try await client.json("/model/info", headers: headers(caller)),
                    try await client.json("/v1/models", headers: headers(caller)),
                    try await client.json("/model_group/info", headers: headers(caller)),
                    try await client.json("/access_group/list", headers: headers(caller)),
                    try await client.json("/access_group/prod/info", headers: headers(caller)),
                    try await client.json("/v1/models?include_model_access_groups=true", headers: headers(caller)),
                ]
                if let otherTeam {
                    crossTeam += responses.filter { $0.text.contains("team:\(otherTeam):") || $0.text.contains("\"team_id\":\"\(otherTeam)\"") }.count
                }
                let modelInfo = (responses[0].body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                expectEqual(modelInfo.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String }, ids, "\(caller) /model/info")
                let listed = ((responses[1].body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                expectEqual(listed, names, "\(caller) /v1/models")
                let groupInfo = ((responses[2].body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["model_group"] as? String }
                expectEqual(groupInfo, names, "\(caller) /model_group/info")
                var carried: [String: [String]] = [:]
                for model in visible { for group in model.groups { carried[group, default: []].append(model.name) } }
                let groups = (responses[3].body as? [String: Any])?["access_groups"] as? [[String: Any]] ?? []
                expectEqual(groups.compactMap { $0["access_group"] as? String }, carried.keys.sorted(), "\(caller) /access_group/list")
                expectEqual(Dictionary(uniqueKeysWithValues: groups.map { ($0["access_group"] as? String ?? "", $0["model_names"] as? [String] ?? []) }),
                            carried.mapValues { $0.sorted() }, "\(caller) /access_group/list model_names")
                if let prod = carried["prod"] {
                    expectEqual((responses[4].body as? [String: Any])?["model_names"] as? [String] ?? [], prod.sorted(), "\(caller) prod info")
                } else {
                    expectEqual(responses[4].status, .notFound, "\(caller) prod info")
                }
                var seenGroups: [String] = []
                for model in visible { for group in model.groups where !seenGroups.contains(group) && (granted?.contains(group) ?? true) { seenGroups.append(group) } }
                let withGroups = ((responses[5].body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                expectEqual(withGroups, names + seenGroups, "\(caller) /v1/models?include_model_access_groups")
                for model in Self.groupModels where !ids.contains(model.id) {
                    expectEqual(try await client.json("/v1/models/\(model.name)", headers: headers(caller)).status, .notFound,
                                "\(caller) /v1/models/\(model.name)")
                }
            }

            // Writes across teams change nothing of the other team.
            func groupsOf(_ id: String) async throws -> String {
                let rows = try await catalog.pool.query("SELECT coalesce(model_info -> 'access_groups', 'null')::text AS g FROM models WHERE id = \(id)")
                return try rows.first?.decode(String.self, "g") ?? "missing"
            }
            var before: [String: String] = [:]
            for model in Self.groupModels { before[model.id] = try await groupsOf(model.id) }
            let refused: [(GroupCaller, String, HTTPRequest.Method, String, HTTPResponse.Status)] = [
                (.aAdmin, "/access_group/new", .post, #"{"access_group":"grab","model_ids":["team:B:b1"]}"#, .badRequest),
                (.aAdmin, "/access_group/new", .post, #"{"access_group":"grab","model_names":["b-one"]}"#, .badRequest),
                (.aAdmin, "/access_group/prod/update", .put, #"{"model_names":["a-one"]}"#, .forbidden),
                (.aAdmin, "/access_group/prod/delete", .delete, "", .forbidden),
                (.aAdmin, "/access_group/beta-b/update", .put, #"{"model_names":["a-two"]}"#, .notFound),
                (.aAdmin, "/access_group/beta-b/delete", .delete, "", .notFound),
                (.aProd, "/access_group/new", .post, #"{"access_group":"mine","model_names":["a-one"]}"#, .forbidden),
                (.bProd, "/access_group/prod/delete", .delete, "", .forbidden),
            ]
            for (caller, uri, method, body, status) in refused {
                let response = try await client.json(uri, method: method, headers: headers(caller), body: body.isEmpty ? nil : body)
                expectEqual(response.status, status, "\(caller) \(method) \(uri)")
            }
            for model in Self.groupModels { expectEqual(try await groupsOf(model.id), before[model.id], "\(model.id) unchanged by refused writes") }

            // A's own "beta-b" is A's: B's group of that name is left alone and each team sees its own.
            let made = try await client.json("/access_group/new", method: .post, headers: headers(.aAdmin), body: #"{"access_group":"beta-b","model_names":["a-two"]}"#)
            expectEqual(made.status, .ok, "A makes its own beta-b")
            expectEqual(try await groupsOf("team:B:b2"), before["team:B:b2"], "B's beta-b untouched")
            let aBeta = try await client.json("/v1/models", headers: headers(.aBeta))
            expectEqual(((aBeta.body as? [String: Any])?["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, ["a-two"], "A's beta-b grants A's model only")
            let bInfo = try await client.json("/access_group/beta-b/info", headers: headers(.bAdmin))
            expectEqual((bInfo.body as? [String: Any])?["model_names"] as? [String] ?? [], ["b-two"], "B sees only its beta-b")
            let bDeleted = try await client.json("/access_group/beta-b/delete", method: .delete, headers: headers(.bAdmin))
            expectEqual((bDeleted.body as? [String: Any])?["models_updated"] as? Int, 1, "B's delete untags B's model only")
            expectEqual(try await groupsOf("team:A:a2"), #"["beta-b"]"#, "A's beta-b survives B's delete")

            #expect(mismatches == 0)
            #expect(crossTeam == 0, "responses naming the other team")
        }
        await catalog.close()
    }
}
