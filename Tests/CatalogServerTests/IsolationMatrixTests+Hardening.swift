import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// The isolation matrix's second table (issue 11): principals whose ids and allow-lists are what
/// broke the first design. Team A is `café` in NFC; team B is the same text in NFD (two rows to
/// PostgreSQL, one string to Swift's `==`), made with plain SQL since the API refuses non-NFC ids;
/// team `t` and team `t|x` test separators. Callers hold allow-lists with `*`, `,` and `|`, or are
/// tenant admins restricted by an allow-list or expiring in an hour. Every id and name is compared
/// byte for byte here too (`ExactID`): `String ==` would hide the very bug.
extension IsolationMatrixTests {
    static let teamA = "caf\u{E9}"
    static let teamB = "cafe\u{301}"

    enum HardCaller: String, CaseIterable, Sendable {
        case admin
        /// Team A's tenant_admin.
        case ownerAdmin
        /// Team B's (NFD) tenant_admin.
        case confusableAdmin
        /// A member of A with ["*"].
        case starMember
        /// A member of A with ["gpt-4o,shared-a", "shared-b|a-unique"].
        case separatorMember
        /// A member of team t with ["x|*"], written with plain SQL: the API refuses name patterns.
        case pipeMember
        /// A's tenant_admin with the allow-list ["gpt-4o"].
        case restrictedAdmin
        /// A's tenant_admin expiring in an hour.
        case expiringAdmin
    }

    enum HardAction: String, CaseIterable, Sendable {
        /// GET /model/info (and again with a unique, unread query parameter: same answer).
        case listModels
        /// GET /v1/models: names, byte-exact.
        case listNames
        /// GET /team/info?team_id=A.
        case teamInfoA
        /// GET /model/history?model_id=reused (made by B, deleted, re-made by the admin in A).
        case historyReused
        /// GET /model/history?model_id=moved (made in B, moved by the admin to A).
        case historyMoved
        /// POST /model/update of A's model a-gpt, setting api_base.
        case updateA
        /// POST /key/delete of a fresh key of A.
        case deleteKeyA
        /// POST /key/generate {} (the caller's own team): bounded by the caller.
        case generate
        /// POST /model/new choosing B's id "b-gpt": must answer exactly as for a free id.
        case createTakenID
        /// POST /model/new (no id) named "other" in the caller's team.
        case createOther
        /// POST /team/new with the NFD spelling.
        case createNFDTeam
    }

    /// The status a cell must give and, for reads, exactly what it shows: model ids, names, or
    /// history ops (with repeats).
    struct HardExpected: Sendable, ExpressibleByIntegerLiteral {
        var status: Int
        var ids: [String]?
        init(status: Int, ids: [String]? = nil) {
            self.status = status
            self.ids = ids
        }
        init(integerLiteral status: Int) { self.init(status: status) }
        static func ok(_ ids: [String]? = nil) -> HardExpected { HardExpected(status: 200, ids: ids) }
    }

    static let hardModels: [(id: String, team: String?, name: String)] = [
        ("a-gpt", teamA, "gpt-4o"), ("a-unique", teamA, "caf\u{E9}-model"),
        ("b-gpt", teamB, "gpt-4o"), ("b-unique", teamB, "cafe\u{301}-model"),
        ("t-x", "t", "x"), ("tx-model", "t|x", "tx-model"),
        ("shared-a", nil, "shared-a"), ("shared-b", nil, "shared-b"),
    ]

    static let ownA = ["a-gpt", "a-unique", "shared-a", "shared-b", "reused", "moved"]

    /// Every cell of the second table. `reused` and `moved` end in A (see `hardSetUp`).
    static let hardTable: [HardAction: [HardCaller: HardExpected]] = [
        .listModels: [
            .admin: .ok(hardModels.map(\.id) + ["reused", "moved"]), .ownerAdmin: .ok(ownA),
            .confusableAdmin: .ok(["b-gpt", "b-unique", "shared-a", "shared-b"]), .starMember: .ok(ownA),
            .separatorMember: .ok([]), .pipeMember: .ok([]), .restrictedAdmin: .ok(["a-gpt", "reused", "moved"]),
            .expiringAdmin: .ok(ownA),
        ],
        .listNames: [
            .admin: .ok(), .ownerAdmin: .ok(["gpt-4o", "caf\u{E9}-model", "shared-a", "shared-b"]),
            .confusableAdmin: .ok(["gpt-4o", "cafe\u{301}-model", "shared-a", "shared-b"]),
            .starMember: .ok(["gpt-4o", "caf\u{E9}-model", "shared-a", "shared-b"]), .separatorMember: .ok([]),
            .pipeMember: .ok([]), .restrictedAdmin: .ok(["gpt-4o"]),
            .expiringAdmin: .ok(["gpt-4o", "caf\u{E9}-model", "shared-a", "shared-b"]),
        ],
        .teamInfoA: [
            .admin: 200, .ownerAdmin: 200, .confusableAdmin: 404, .starMember: 200, .separatorMember: 200,
            .pipeMember: 404, .restrictedAdmin: 200, .expiringAdmin: 200,
        ],
        // Only A's entries (the re-creation), never B's rows; the admin sees all 2 + 1.
        .historyReused: [
            .admin: .ok(["insert", "delete", "insert"]), .ownerAdmin: .ok(["insert"]), .confusableAdmin: .ok(["insert", "delete"]),
            .starMember: .ok(["insert"]), .separatorMember: 404, .pipeMember: 404, .restrictedAdmin: .ok(["insert"]),
            .expiringAdmin: .ok(["insert"]),
        ],
        // The move itself holds B's row and A's: neither team sees it; B sees its creation.
        .historyMoved: [
            .admin: .ok(["insert", "update", "update"]), .ownerAdmin: .ok(["update"]), .confusableAdmin: .ok(["insert"]),
            .starMember: .ok(["update"]), .separatorMember: 404, .pipeMember: 404, .restrictedAdmin: .ok(["update"]),
            .expiringAdmin: .ok(["update"]),
        ],
        .updateA: [
            .admin: 200, .ownerAdmin: 200, .confusableAdmin: 404, .starMember: 403, .separatorMember: 404,
            .pipeMember: 404, .restrictedAdmin: 200, .expiringAdmin: 200,
        ],
        .deleteKeyA: [
            .admin: 200, .ownerAdmin: 200, .confusableAdmin: 404, .starMember: 404, .separatorMember: 404,
            .pipeMember: 404, .restrictedAdmin: 200, .expiringAdmin: 200,
        ],
        .generate: [
            .admin: 200, .ownerAdmin: 200, .confusableAdmin: 200, .starMember: 403, .separatorMember: 403,
            .pipeMember: 403, .restrictedAdmin: 200, .expiringAdmin: 200,
        ],
        // A team key chooses ids only in its namespace (team:<team>:…): 400 whether the id is
        // taken (even by its own team, as for B) or free; the admin sees b-gpt: 409.
        .createTakenID: [
            .admin: 409, .ownerAdmin: 400, .confusableAdmin: 400, .starMember: 403, .separatorMember: 403,
            .pipeMember: 403, .restrictedAdmin: 400, .expiringAdmin: 400,
        ],
        .createOther: [
            .admin: 200, .ownerAdmin: 200, .confusableAdmin: 200, .starMember: 403, .separatorMember: 403,
            .pipeMember: 403, .restrictedAdmin: 403, .expiringAdmin: 200,
        ],
        .createNFDTeam: [
            .admin: 400, .ownerAdmin: 403, .confusableAdmin: 403, .starMember: 403, .separatorMember: 403,
            .pipeMember: 403, .restrictedAdmin: 403, .expiringAdmin: 403,
        ],
    ]

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")) ?? text
    }

    /// The same items, repeats counted, byte for byte.
    static func same(_ lhs: [String], _ rhs: [String]) -> Bool {
        lhs.map { ExactID($0) }.sorted() == rhs.map { ExactID($0) }.sorted()
    }

    @Test("second table: confusable teams, *, separators, restricted and expiring admins, id reuse", arguments: ReadPath.allCases)
    func hardeningMatrix(path: ReadPath) async throws {
        #expect(Set(Self.hardTable.keys) == Set(HardAction.allCases))
        for (action, row) in Self.hardTable { #expect(Set(row.keys) == Set(HardCaller.allCases), "\(action)") }
        let catalog = try await TestCatalog.make()
        var logger = Logger(label: "isolation-matrix-hardening")
        logger.logLevel = .warning
        let replica: ReplicaOptions? = path == .database ? nil : ReplicaOptions(pollInterval: .milliseconds(200), maxBackoff: .milliseconds(500))
        try await catalog.withApplication(catalog.configuration(replica: replica), logger: logger) { built, client in
            let store = built.cache?.store
            let keys = try await Self.hardSetUp(client: client, catalog: catalog, store: store)
            var cells = 0, mismatches = 0
            for action in HardAction.allCases {
                for caller in HardCaller.allCases {
                    guard let expected = Self.hardTable[action]?[caller], let key = keys[caller] else { continue }
                    cells += 1
                    mismatches += try await Self.hardCell(action, caller: caller, key: key, expected: expected,
                                                          client: client, catalog: catalog, store: store)
                }
            }
            #expect(cells == HardAction.allCases.count * HardCaller.allCases.count)
            #expect(mismatches == 0)
            print("isolation matrix, second table [\(path.rawValue)]: \(cells) cells; mismatches \(mismatches)")
        }
        await catalog.close()
    }

    /// Teams, models (B's with plain SQL), the reused and moved ids, and every caller's key.
    static func hardSetUp(client: any TestClientProtocol, catalog: TestCatalog, store: SnapshotStore?) async throws -> [HardCaller: String] {
        for team in [teamA, "t", "t|x"] {
            let made = try await client.json("/team/new", method: .post, body: json(["team_id": team]))
            #expect(made.status == .ok, "team \(team): \(made.text)")
        }
        try await catalog.pool.query("INSERT INTO tenants (id) VALUES (\(teamB))")
        func create(_ id: String, _ team: String?, _ name: String) async throws {
            var info: [String: Any] = ["id": id]
            if let team { info["team_id"] = team }
            let made = try await client.json("/model/new", method: .post, body: json([
                "model_name": name, "litellm_params": ["model": "openai/gpt-4o", "api_base": "https://\(id).private.example"],
                "model_info": info,
            ]))
            #expect(made.status == .ok, "model \(id): \(made.text)")
        }
        for model in hardModels { try await create(model.id, model.team, model.name) }
        // Id reuse: B's model "reused" is deleted, then the admin makes "reused" in A.
        try await create("reused", teamB, "gpt-4o")
        #expect(try await client.json("/model/delete", method: .post, body: json(["id": "reused"])).status == .ok)
        try await create("reused", teamA, "gpt-4o")
        // A move: made in B, moved to A (B's api_base kept in the first two rows of history).
        try await create("moved", teamB, "gpt-4o")
        let moved = try await client.json("/model/update", method: .post, body: json(["model_info": ["id": "moved", "team_id": teamA]]))
        #expect(moved.status == .ok, "move: \(moved.text)")
        let renamed = try await client.json("/model/update", method: .post, body: json(["model_info": ["id": "moved"], "litellm_params": ["rpm": 5]]))
        #expect(renamed.status == .ok)

        func generate(_ request: [String: Any], by key: String = TestCatalog.masterKey) async throws -> String {
            let response = try await client.json("/key/generate", method: .post, headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                                  body: json(request))
            #expect(response.status == .ok, "key \(request): \(response.text)")
            return (response.body as? [String: Any])?["key"] as? String ?? ""
        }
        var keys: [HardCaller: String] = [.admin: TestCatalog.masterKey]
        keys[.ownerAdmin] = try await generate(["team_id": teamA, "role": "tenant_admin"])
        keys[.confusableAdmin] = try await generate(["team_id": teamB, "role": "tenant_admin"])
        keys[.starMember] = try await generate(["team_id": teamA, "models": ["*"]])
        keys[.separatorMember] = try await generate(["team_id": teamA, "models": ["gpt-4o,shared-a", "shared-b|a-unique"]])
        let tAdmin = try await generate(["team_id": "t", "role": "tenant_admin"])
        let pattern = try await client.json("/key/generate", method: .post, headers: [.authorization: "Bearer \(tAdmin)", .contentType: "application/json"],
                                            body: json(["models": ["x|*"]]))
        #expect(pattern.status == .badRequest, "a name pattern is refused: \(pattern.text)")
        let pipe = KeyRepository.newKeyText()
        try await catalog.pool.query("""
            INSERT INTO api_keys (key_hash, role, tenant_id, models)
            VALUES (\(KeyRepository.digest(pipe)), 'tenant_member', 't', \(["x|*"])::text[])
            """)
        keys[.pipeMember] = pipe
        keys[.restrictedAdmin] = try await generate(["team_id": teamA, "role": "tenant_admin", "models": ["gpt-4o"]])
        keys[.expiringAdmin] = try await generate(["team_id": teamA, "role": "tenant_admin", "duration": "1h"])
        try await store?.catchUp()
        return keys
    }

    /// Runs one cell; 1 on a mismatch.
    static func hardCell(_ action: HardAction, caller: HardCaller, key: String, expected: HardExpected,
                         client: any TestClientProtocol, catalog: TestCatalog, store: SnapshotStore?) async throws -> Int {
        let label = "\(action) × \(caller)"
        let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        func checkStatus(_ response: (status: HTTPResponse.Status, body: Any?, text: String)) -> Int {
            guard Int(response.status.code) == expected.status else {
                Issue.record("\(label): expected \(expected.status), got \(response.status.code): \(response.text.prefix(300))")
                return 1
            }
            return 0
        }
        func checkIDs(_ shown: [String]) -> Int {
            guard let ids = expected.ids, expected.status == 200 else { return 0 }
            guard same(shown, ids) else {
                Issue.record("\(label): shows \(shown.sorted()), expected \(ids.sorted())")
                return 1
            }
            return 0
        }
        switch action {
        case .listModels:
            var misses = 0
            for uri in ["/model/info", "/model/info?unread=\(UUID().uuidString)"] {
                let response = try await client.json(uri, headers: headers)
                misses += checkStatus(response)
                let data = (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
                misses += checkIDs(data.compactMap { ($0["model_info"] as? [String: Any])?["id"] as? String })
            }
            return misses
        case .listNames:
            let response = try await client.json("/v1/models", headers: headers)
            let data = (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            return checkStatus(response) + checkIDs(data.compactMap { $0["id"] as? String })
        case .teamInfoA:
            let response = try await client.json("/team/info?team_id=\(encoded(teamA))", headers: headers)
            var misses = checkStatus(response)
            if response.status == .ok, let shown = (response.body as? [String: Any])?["team_id"] as? String, ExactID(shown) != ExactID(teamA) {
                Issue.record("\(label): shows team \(shown.unicodeScalars.map(\.value))")
                misses += 1
            }
            return misses
        case .historyReused, .historyMoved:
            let id = action == .historyReused ? "reused" : "moved"
            let response = try await client.json("/model/history?model_id=\(id)", headers: headers)
            var misses = checkStatus(response)
            let data = (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
            if response.status == .ok {
                misses += checkIDs(data.compactMap { $0["op"] as? String })
                // No entry shown to a tenant key holds another team's row.
                if caller != .admin {
                    for entry in data {
                        for side in ["before", "after"] {
                            guard let team = (entry[side] as? [String: Any])?["team_id"] as? String else { continue }
                            let own = caller == .confusableAdmin ? teamB : teamA
                            if ExactID(team) != ExactID(own) {
                                Issue.record("\(label): an entry holds team \(team.unicodeScalars.map(\.value))'s row")
                                misses += 1
                            }
                        }
                    }
                }
            }
            if response.status == .notFound {
                let missing = try await client.json("/model/history?model_id=zz-missing", headers: headers)
                if missing.text != response.text.replacingOccurrences(of: "'\(id)'", with: "'zz-missing'") { misses += 1 }
            }
            return misses
        case .updateA:
            let response = try await client.json("/model/update", method: .post, headers: headers, body: json([
                "model_info": ["id": "a-gpt"], "litellm_params": ["api_base": "https://\(caller.rawValue).example"],
            ]))
            var misses = checkStatus(response)
            let base = try await catalog.pool.query("SELECT litellm_params->>'api_base' AS b, tenant_id FROM models WHERE id = 'a-gpt'")
            let stored: String? = try base.first?.decode(String?.self, "b") ?? nil
            let team: String? = try base.first?.decode(String?.self, "tenant_id") ?? nil
            if response.status != .ok, stored == "https://\(caller.rawValue).example" { misses += 1 }
            if team.map({ ExactID($0) != ExactID(teamA) }) ?? true {
                Issue.record("\(label): a-gpt left team A")
                misses += 1
            }
            return misses
        case .deleteKeyA:
            let made = try await client.json("/key/generate", method: .post, body: json(["team_id": teamA]))
            let token = (made.body as? [String: Any])?["token"] as? String ?? ""
            let response = try await client.json("/key/delete", method: .post, headers: headers, body: json(["keys": [token]]))
            var misses = checkStatus(response)
            let left = try await catalog.pool.query("SELECT 1 FROM api_keys WHERE id = \(UUID(uuidString: token))")
            if left.isEmpty == (response.status != .ok) { misses += 1 }
            if !left.isEmpty {
                _ = try await client.json("/key/delete", method: .post, body: json(["keys": [token]]))
            }
            return misses
        case .generate:
            let response = try await client.json("/key/generate", method: .post, headers: headers, body: json([:]))
            var misses = checkStatus(response)
            guard response.status == .ok, let body = response.body as? [String: Any] else { return misses }
            let models = body["models"] as? [String] ?? []
            let expires = (body["expires"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }
            switch caller {
            case .restrictedAdmin:
                if models != ["gpt-4o"] { Issue.record("\(label): models \(models)"); misses += 1 }
            case .expiringAdmin:
                if expires.map({ $0 > Date().addingTimeInterval(3601) }) ?? true { Issue.record("\(label): expires \(String(describing: expires))"); misses += 1 }
            default:
                if !models.isEmpty || expires != nil { Issue.record("\(label): \(body)"); misses += 1 }
            }
            // Wider than the maker is refused.
            if caller == .restrictedAdmin || caller == .expiringAdmin {
                let widerRequest: [String: Any] = caller == .restrictedAdmin ? ["models": ["*"]] : ["duration": "2h"]
                let wider = try await client.json("/key/generate", method: .post, headers: headers, body: json(widerRequest))
                if wider.status != .forbidden { Issue.record("\(label): a wider key: \(wider.status)"); misses += 1 }
            }
            if let token = body["token"] as? String { _ = try await client.json("/key/delete", method: .post, body: json(["keys": [token]])) }
            return misses
        case .createTakenID, .createOther:
            func create(_ id: String?) async throws -> (status: HTTPResponse.Status, body: Any?, text: String) {
                var body: [String: Any] = ["model_name": action == .createOther ? "other" : "gpt-4o", "litellm_params": ["model": "openai/gpt-4o"]]
                if let id { body["model_info"] = ["id": id] }
                return try await client.json("/model/new", method: .post, headers: headers, body: json(body))
            }
            let response = try await create(action == .createTakenID ? "b-gpt" : nil)
            var misses = checkStatus(response)
            if action == .createTakenID, caller != .admin {
                // B's id answers exactly as an id nobody has.
                let free = try await create("zz-free")
                if free.status != response.status || free.text != response.text.replacingOccurrences(of: "b-gpt", with: "zz-free") {
                    Issue.record("\(label): taken \(response.text) vs free \(free.text)")
                    misses += 1
                }
            }
            if response.status == .ok, let id = ((response.body as? [String: Any])?["model_info"] as? [String: Any])?["id"] as? String {
                _ = try await client.json("/model/delete", method: .post, body: json(["id": id]))
            }
            let stillB: String? = try await catalog.pool.query("SELECT tenant_id FROM models WHERE id = 'b-gpt'").first?.decode(String?.self, "tenant_id") ?? nil
            if stillB.map({ ExactID($0) != ExactID(teamB) }) ?? true { misses += 1 }
            return misses
        case .createNFDTeam:
            let response = try await client.json("/team/new", method: .post, headers: headers, body: json(["team_id": "x" + teamB]))
            return checkStatus(response)
        }
    }
}
