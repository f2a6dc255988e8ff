import Catalog
import CatalogServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The isolation matrix's third table (issue 12): personal keys and team allow-lists. Team `ta`
/// has the list ["gpt-4o", "ta-model"], so its model `ta-hidden` is out of every ta key's reach;
/// team `tb` has no list. Each cell declares its status and, for reads, exactly the models shown;
/// the table counts every model of another team a non-admin caller sees, which must be 0.
extension IsolationMatrixTests {
    enum PersonalCaller: String, CaseIterable, Sendable {
        case admin
        /// A personal key (no team, no list).
        case personal
        /// A personal key with ["claude", "ta-model"] (a team's name: still only shared models).
        case personalListed
        /// A member of ta, no list of its own: ta's list binds it.
        case taMember
        /// A member of ta with ["gpt-4o", "claude", "ta-hidden"]: ∩ ta's list = ["gpt-4o"].
        case taListed
        /// ta's tenant admin.
        case taAdmin
        /// A member of tb.
        case tbMember
    }

    enum PersonalAction: String, CaseIterable, Sendable {
        /// GET /model/info: the model ids shown.
        case listModels
        /// GET /model/info?litellm_model_id=ta-hidden.
        case readHidden
        /// GET /model/info?litellm_model_id=s-claude.
        case readShared
        /// POST /model/new "claude" without a team (a tenant admin's goes to its team).
        case createClaude
        /// POST /model/new "ta-model" in ta.
        case createInList
        /// POST /model/update of ta-hidden.
        case updateHidden
        /// POST /model/update of the shared s-gpt.
        case updateShared
        /// POST /key/generate {}.
        case generate
        /// GET /key/list: how many keys (the caller's reach).
        case listKeys
        /// POST /key/update of ta's member key (its alias, unchanged).
        case updateTaKey
        /// POST /key/regenerate of a fresh tb key.
        case regenerateTbKey
        /// POST /team/update of ta (its list, unchanged).
        case updateTeam
        /// GET /v2/team/list: the teams shown.
        case listTeams
    }

    /// A cell's status and, for lists, exactly the ids (models, or teams) or count (keys) shown.
    struct PersonalExpected: Sendable, ExpressibleByIntegerLiteral {
        var status: Int
        var ids: Set<String>?
        var count: Int?
        init(status: Int, ids: Set<String>? = nil, count: Int? = nil) {
            self.status = status
            self.ids = ids
            self.count = count
        }
        init(integerLiteral status: Int) { self.init(status: status) }
        static func ok(_ ids: Set<String>) -> PersonalExpected { PersonalExpected(status: 200, ids: ids) }
        static func keys(_ count: Int) -> PersonalExpected { PersonalExpected(status: 200, count: count) }
    }

    static let personalModels: [(id: String, team: String?, name: String)] = [
        ("s-gpt", nil, "gpt-4o"), ("s-claude", nil, "claude"), ("ta-gpt", "ta", "gpt-4o"), ("ta-own", "ta", "ta-model"),
        ("ta-hidden", "ta", "ta-hidden"), ("tb-own", "tb", "tb-model"),
    ]

    /// The keys made in setup: admin sees 6 (one per non-admin caller), ta's admin ta's 3.
    static let personalTable: [PersonalAction: [PersonalCaller: PersonalExpected]] = [
        .listModels: [
            .admin: .ok(Set(personalModels.map(\.id))), .personal: .ok(["s-gpt", "s-claude"]), .personalListed: .ok(["s-claude"]),
            .taMember: .ok(["s-gpt", "ta-gpt", "ta-own"]), .taListed: .ok(["s-gpt", "ta-gpt"]),
            .taAdmin: .ok(["s-gpt", "ta-gpt", "ta-own"]), .tbMember: .ok(["s-gpt", "s-claude", "tb-own"]),
        ],
        .readHidden: [
            .admin: .ok(["ta-hidden"]), .personal: 404, .personalListed: 404, .taMember: 404, .taListed: 404, .taAdmin: 404, .tbMember: 404,
        ],
        .readShared: [
            .admin: .ok(["s-claude"]), .personal: .ok(["s-claude"]), .personalListed: .ok(["s-claude"]), .taMember: 404,
            .taListed: 404, .taAdmin: 404, .tbMember: .ok(["s-claude"]),
        ],
        .createClaude: [
            .admin: 200, .personal: 403, .personalListed: 403, .taMember: 403, .taListed: 403, .taAdmin: 403, .tbMember: 403,
        ],
        .createInList: [
            .admin: 200, .personal: 403, .personalListed: 403, .taMember: 403, .taListed: 403, .taAdmin: 200, .tbMember: 403,
        ],
        .updateHidden: [
            .admin: 200, .personal: 404, .personalListed: 404, .taMember: 404, .taListed: 404, .taAdmin: 404, .tbMember: 404,
        ],
        .updateShared: [
            .admin: 200, .personal: 403, .personalListed: 404, .taMember: 403, .taListed: 403, .taAdmin: 403, .tbMember: 403,
        ],
        .generate: [
            .admin: 200, .personal: 403, .personalListed: 403, .taMember: 403, .taListed: 403, .taAdmin: 200, .tbMember: 403,
        ],
        .listKeys: [
            .admin: .keys(6), .personal: .keys(1), .personalListed: .keys(1), .taMember: .keys(1), .taListed: .keys(1),
            .taAdmin: .keys(3), .tbMember: .keys(1),
        ],
        .updateTaKey: [
            .admin: 200, .personal: 404, .personalListed: 404, .taMember: 403, .taListed: 404, .taAdmin: 200, .tbMember: 404,
        ],
        .regenerateTbKey: [
            .admin: 200, .personal: 404, .personalListed: 404, .taMember: 404, .taListed: 404, .taAdmin: 404, .tbMember: 404,
        ],
        .updateTeam: [
            .admin: 200, .personal: 403, .personalListed: 403, .taMember: 403, .taListed: 403, .taAdmin: 403, .tbMember: 403,
        ],
        .listTeams: [
            .admin: .ok(["ta", "tb"]), .personal: .ok([]), .personalListed: .ok([]), .taMember: .ok(["ta"]), .taListed: .ok(["ta"]),
            .taAdmin: .ok(["ta"]), .tbMember: .ok(["tb"]),
        ],
    ]

    @Test("keys table: personal keys and team allow-lists; every cell as declared, cross-tenant reads 0", arguments: ReadPath.allCases)
    func personalMatrix(path: ReadPath) async throws {
        #expect(PersonalAction.allCases.allSatisfy { action in PersonalCaller.allCases.allSatisfy { Self.personalTable[action]?[$0] != nil } },
                "every cell is declared")
        let catalog = try await TestCatalog.make()
        let configuration = catalog.configuration(replica: path == .replicaCache ? ReplicaOptions() : nil)
        try await catalog.withApplication(configuration) { _, client in
            typealias K = KeyEndpointTests
            #expect(try await client.json("/team/new", method: .post, body: K.body(["team_id": "ta", "models": ["gpt-4o", "ta-model"]])).status == .ok)
            #expect(try await client.json("/team/new", method: .post, body: K.body(["team_id": "tb"])).status == .ok)
            for model in Self.personalModels {
                #expect(try await client.json("/model/new", method: .post, body: K.model(model.id, model.name, team: model.team)).status == .ok)
            }
            var keys: [PersonalCaller: String] = [.admin: TestCatalog.masterKey]
            var tokens: [PersonalCaller: String] = [:]
            let requests: [(PersonalCaller, [String: Any])] = [
                (.personal, [:]), (.personalListed, ["models": ["claude", "ta-model"]]), (.taMember, ["team_id": "ta", "key_alias": "ta-m"]),
                (.taListed, ["team_id": "ta", "models": ["gpt-4o", "claude", "ta-hidden"]]),
                (.taAdmin, ["team_id": "ta", "role": "tenant_admin"]), (.tbMember, ["team_id": "tb"]),
            ]
            for (caller, request) in requests {
                let key = try await K.generate(client, request)
                keys[caller] = key["key"] as? String
                tokens[caller] = key["token"] as? String
            }
            let teamOf: [PersonalCaller: String] = [.taMember: "ta", .taListed: "ta", .taAdmin: "ta", .tbMember: "tb"]
            var mismatches = 0, crossTenantReads = 0
            for action in PersonalAction.allCases {
                for caller in PersonalCaller.allCases {
                    let expected = Self.personalTable[action]![caller]!
                    let headers = K.bearer(keys[caller]!)
                    let label = "\(path) \(action) by \(caller)"
                    let response: (status: HTTPResponse.Status, body: Any?, text: String)
                    var cleanup: (() async throws -> Void)?
                    switch action {
                    case .listModels, .readHidden, .readShared:
                        let uri = action == .listModels ? "/model/info"
                            : "/model/info?litellm_model_id=\(action == .readHidden ? "ta-hidden" : "s-claude")"
                        response = try await client.json(uri, headers: headers)
                    case .createClaude, .createInList:
                        // Generated ids: a key of a team with a list may not choose one.
                        let id: String? = action == .createClaude && caller == .admin ? "fresh-claude" : nil
                        response = try await client.json("/model/new", method: .post, headers: headers,
                                                         body: action == .createClaude ? K.model(id, "claude") : K.model(id, "ta-model", team: "ta"))
                        if response.status == .ok {
                            let made = (response.body as? [String: Any])?["model_info"] as? [String: Any]
                            let madeID = made?["id"] as? String ?? id ?? ""
                            cleanup = { _ = try await client.json("/model/delete", method: .post, body: K.body(["id": madeID])) }
                        }
                    case .updateHidden, .updateShared:
                        response = try await client.json("/model/update", method: .post, headers: headers, body: K.body([
                            "model_info": ["id": action == .updateHidden ? "ta-hidden" : "s-gpt"], "litellm_params": ["rpm": 7],
                        ]))
                    case .generate:
                        response = try await client.json("/key/generate", method: .post, headers: headers, body: "{}")
                        if let token = (response.body as? [String: Any])?["token"] as? String {
                            cleanup = { _ = try await client.json("/key/delete", method: .post, body: K.body(["keys": [token]])) }
                        }
                    case .listKeys:
                        response = try await client.json("/key/list", headers: headers)
                    case .updateTaKey:
                        response = try await client.json("/key/update", method: .post, headers: headers,
                                                         body: K.body(["key": tokens[.taMember]!, "key_alias": "ta-m"]))
                    case .regenerateTbKey:
                        let fresh = try await K.generate(client, ["team_id": "tb"])["token"] as! String
                        response = try await client.json("/key/regenerate", method: .post, headers: headers, body: K.body(["key": fresh]))
                        cleanup = { _ = try await client.json("/key/delete", method: .post, body: K.body(["keys": [fresh]])) }
                    case .updateTeam:
                        response = try await client.json("/team/update", method: .post, headers: headers,
                                                         body: K.body(["team_id": "ta", "models": ["gpt-4o", "ta-model"]]))
                    case .listTeams:
                        response = try await client.json("/v2/team/list", headers: headers)
                    }
                    if Int(response.status.code) != expected.status {
                        Issue.record("\(label): \(response.status.code), expected \(expected.status): \(response.text.prefix(300))")
                        mismatches += 1
                    }
                    let body = response.body as? [String: Any]
                    if response.status == .ok, let want = expected.ids {
                        let shown: Set<String> = action == .listTeams
                            ? Set((body?["teams"] as? [[String: Any]] ?? []).compactMap { $0["team_id"] as? String })
                            : Set((body?["data"] as? [[String: Any]] ?? []).compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String })
                        if shown != want {
                            Issue.record("\(label): shows \(shown.sorted()), expected \(want.sorted())")
                            mismatches += 1
                        }
                        if caller != .admin, action != .listTeams {
                            crossTenantReads += Self.personalModels.filter { shown.contains($0.id) && $0.team != nil && $0.team != teamOf[caller] }.count
                        }
                    }
                    if response.status == .ok, let count = expected.count {
                        let listed = body?["keys"] as? [Any] ?? []
                        if listed.count != count || body?["total_count"] as? Int != count {
                            Issue.record("\(label): \(listed.count) keys, expected \(count)")
                            mismatches += 1
                        }
                    }
                    if response.status != .ok {
                        let error = body?["error"] as? [String: Any]
                        if !(error?["message"] is String && error?["code"] is String) { Issue.record("\(label): not LiteLLM's error shape") }
                    }
                    try await cleanup?()
                }
            }
            #expect(mismatches == 0)
            #expect(crossTenantReads == 0)
        }
        await catalog.close()
    }
}
