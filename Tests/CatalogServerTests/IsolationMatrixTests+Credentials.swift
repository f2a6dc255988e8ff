import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Testing

/// The isolation matrix's credential table (issue 12): teams t1 and t2 each have a credential and
/// a model using it, and one credential is shared. Every caller × every credential × every action
/// (read it by name, find it in the list, read it through a model, rotate it, use it in a new
/// model of the caller's team, create one in its team, delete it) answers exactly what the table
/// declares, and the matrix counts every cross-team read, use or change it observes: 0.
extension IsolationMatrixTests {
    enum CredCaller: String, CaseIterable, Sendable {
        case admin, t1Admin, t1Member, t2Admin, t2Member

        var team: String? {
            switch self {
            case .admin: nil
            case .t1Admin, .t1Member: "t1"
            case .t2Admin, .t2Member: "t2"
            }
        }
    }

    enum CredTarget: String, CaseIterable, Sendable {
        case t1, t2, shared

        var name: String { "cred-\(rawValue)" }
        var team: String? { self == .shared ? nil : rawValue }
        /// The model that uses it.
        var model: String { "m-\(rawValue)" }
    }

    enum CredAction: String, CaseIterable, Sendable {
        case byName, list, byModel, rotate, use, create, delete
    }

    /// Statuses in `CredCaller.allCases` order (admin, t1Admin, t1Member, t2Admin, t2Member). For
    /// `list`, 200 means listed and 404 absent. `use` makes a model in the caller's team (the
    /// admin's in t2); `create` asks for a credential in the target's team (the shared target:
    /// no team asked, so a tenant admin's lands in its own team).
    static let credTable: [CredAction: [CredTarget: [Int]]] = [
        .byName: [.t1: [200, 200, 200, 404, 404], .t2: [200, 404, 404, 200, 200], .shared: [200, 200, 200, 200, 200]],
        .list: [.t1: [200, 200, 200, 404, 404], .t2: [200, 404, 404, 200, 200], .shared: [200, 200, 200, 200, 200]],
        .byModel: [.t1: [200, 200, 200, 404, 404], .t2: [200, 404, 404, 200, 200], .shared: [200, 200, 200, 200, 200]],
        .rotate: [.t1: [200, 200, 403, 404, 404], .t2: [200, 404, 404, 200, 403], .shared: [200, 403, 403, 403, 403]],
        .use: [.t1: [400, 200, 403, 400, 403], .t2: [200, 400, 403, 200, 403], .shared: [200, 200, 403, 200, 403]],
        .create: [.t1: [200, 200, 403, 403, 403], .t2: [200, 403, 403, 200, 403], .shared: [200, 200, 403, 200, 403]],
        .delete: [.t1: [200, 200, 403, 404, 404], .t2: [200, 404, 404, 200, 403], .shared: [200, 403, 403, 403, 403]],
    ]

    @Test("credentials: no team reads, uses or changes another team's credential; cross-team cells: 0", arguments: ReadPath.allCases)
    func credentialMatrix(path: ReadPath) async throws {
        #expect(Set(Self.credTable.keys) == Set(CredAction.allCases))
        for (action, row) in Self.credTable {
            #expect(Set(row.keys) == Set(CredTarget.allCases), "\(action)")
            for (target, statuses) in row { #expect(statuses.count == CredCaller.allCases.count, "\(action) \(target)") }
        }
        let catalog = try await TestCatalog.make()
        var logger = Logger(label: "isolation-matrix-credentials")
        logger.logLevel = .warning
        let replica: ReplicaOptions? = path == .database ? nil : ReplicaOptions(pollInterval: .milliseconds(200), maxBackoff: .milliseconds(500))
        let repository = CredentialRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        try await catalog.withApplication(catalog.configuration(replica: replica), logger: logger) { built, client in
            let keys = try await Self.credSetUp(client: client)
            var cells = 0, mismatches = 0, crossTeam = 0, serial = 0
            // Deletions last: each one is undone before the next cell.
            for action in CredAction.allCases {
                for target in CredTarget.allCases {
                    for (index, caller) in CredCaller.allCases.enumerated() {
                        guard let expected = Self.credTable[action]?[target]?[index], let key = keys[caller] else { continue }
                        cells += 1
                        serial += 1
                        let label = "\(action) × \(target) × \(caller) [\(path.rawValue)]"
                        let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
                        let before = try await repository.values(name: target.name)
                        var status: Int
                        var createdTeam: String?? = nil
                        switch action {
                        case .byName:
                            let response = try await client.json("/credentials/by_name/\(target.name)", headers: headers)
                            status = Int(response.status.code)
                            if status == 200 { #expect(!response.text.contains("sk-matrix"), "\(label)") }
                        case .list:
                            let response = try await client.json("/credentials", headers: headers)
                            #expect(response.status == .ok, "\(label)")
                            let names = ((response.body as? [String: Any])?["credentials"] as? [[String: Any]] ?? []).compactMap { $0["credential_name"] as? String }
                            status = names.contains(target.name) ? 200 : 404
                            #expect(!response.text.contains("sk-matrix"), "\(label)")
                        case .byModel:
                            let response = try await client.json("/credentials/by_model/\(target.model)", headers: headers)
                            status = Int(response.status.code)
                        case .rotate:
                            let response = try await client.json("/credentials/\(target.name)", method: .patch, headers: headers,
                                                                 body: Self.json(["credential_info": [:], "credential_values": ["api_key": "sk-matrix-rotated-\(serial)"]]))
                            status = Int(response.status.code)
                            let after = try await repository.values(name: target.name)
                            #expect((after != before) == (status == 200), "\(label): changed \(after != before)")
                        case .use:
                            let team = caller.team ?? "t2"
                            let response = try await client.json("/model/new", method: .post, headers: headers, body: Self.json([
                                "model_name": "use-\(serial)", "litellm_params": ["model": "openai/gpt-4o", "litellm_credential_name": target.name],
                                "model_info": ["id": "team:\(team):use-\(serial)", "team_id": team],
                            ]))
                            status = Int(response.status.code)
                            if status == 400 {
                                // Refused in the very words a missing credential gets: nothing told.
                                let missing = try await client.json("/model/new", method: .post, headers: headers, body: Self.json([
                                    "model_name": "use-\(serial)", "litellm_params": ["model": "openai/gpt-4o", "litellm_credential_name": "cred-none"],
                                    "model_info": ["id": "team:\(team):use-\(serial)", "team_id": team],
                                ]))
                                #expect(missing.text.replacingOccurrences(of: "cred-none", with: target.name) == response.text, "\(label)")
                            }
                        case .create:
                            let name = "made-\(serial)"
                            var info: [String: Any] = [:]
                            if let team = target.team { info["team_id"] = team }
                            let response = try await client.json("/credentials", method: .post, headers: headers, body: Self.json([
                                "credential_name": name, "credential_info": info, "credential_values": ["api_key": "sk-matrix-made-\(serial)"],
                            ]))
                            status = Int(response.status.code)
                            if status == 200 { createdTeam = .some(try await repository.find(name: name)?.tenantID) }
                        case .delete:
                            let response = try await client.json("/credentials/\(target.name)?force=true", method: .delete, headers: headers)
                            status = Int(response.status.code)
                            let gone = try await repository.find(name: target.name) == nil
                            #expect(gone == (status == 200), "\(label)")
                            if gone { try await Self.credCreate(target, client: client) }
                        }
                        if status != expected {
                            mismatches += 1
                            Issue.record("\(label): \(status), expected \(expected)")
                        }
                        // A tenant key reaching a credential of the other team (or making one there) is a cross-team cell.
                        if let own = caller.team {
                            let foreign = target.team.map { $0 != own } ?? false
                            if foreign && status == 200 && action != .create { crossTeam += 1 }
                            if case .some(let team) = createdTeam, team != own { crossTeam += 1 }
                        }
                    }
                }
            }
            #expect(cells == CredAction.allCases.count * CredTarget.allCases.count * CredCaller.allCases.count)
            #expect(mismatches == 0)
            #expect(crossTeam == 0)
            print("isolation matrix, credentials [\(path.rawValue)]: \(cells) cells; mismatches \(mismatches); cross-team \(crossTeam)")
            _ = built
        }
        await catalog.close()
    }

    @Test("a delete refused while in use names only the models its caller may see; the routing view refuses a foreign use written with SQL")
    func credentialInUseByHiddenModels() async throws {
        let catalog = try await TestCatalog.make()
        let repository = CredentialRepository(pool: catalog.pool, secretKey: TestCatalog.secretKey)
        try await catalog.withApplication { built, client in
            let keys = try await Self.credSetUp(client: client)
            // Plain SQL can write what the API refuses: a t2 model naming t1's credential.
            try await catalog.pool.query("""
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info)
                VALUES ('sql-t2', 't2', 'sneaky', '{"model":"openai/gpt-4o","litellm_credential_name":"cred-t1"}', '{"team_id":"t2"}')
                """)
            let refused = try await client.json("/credentials/cred-t1", method: .delete, headers: [.authorization: "Bearer \(keys[.t1Admin]!)"])
            #expect(refused.status == .conflict)
            #expect(refused.text.contains("m-t1"))
            #expect(!refused.text.contains("sql-t2") && !refused.text.contains("sneaky"))
            #expect(refused.text.contains("1 model(s) this key cannot see"))
            let admin = try await client.json("/credentials/cred-t1", method: .delete)
            #expect(admin.text.contains("sql-t2") && admin.text.contains("m-t1"))
            // The values are for the models that may use them only.
            let sneaky = try #require(try await built.database.models.find(id: "sql-t2"))
            #expect(try await repository.values(for: sneaky) == nil)
            let own = try #require(try await built.database.models.find(id: "m-t1"))
            #expect(try await repository.values(for: own)?["api_key"] == "sk-matrix-cred-t1")
            // And t2 cannot read it through its model either.
            #expect(try await client.json("/credentials/by_model/sql-t2", headers: [.authorization: "Bearer \(keys[.t2Admin]!)"]).status == .notFound)
        }
        await catalog.close()
    }

    /// Teams t1 and t2, the three credentials and their models, and every caller's key.
    static func credSetUp(client: any TestClientProtocol) async throws -> [CredCaller: String] {
        for team in ["t1", "t2"] {
            #expect(try await client.json("/team/new", method: .post, body: json(["team_id": team])).status == .ok)
        }
        for target in CredTarget.allCases {
            try await credCreate(target, client: client)
            var info: [String: Any] = ["id": target.model]
            if let team = target.team { info["team_id"] = team }
            let made = try await client.json("/model/new", method: .post, body: json([
                "model_name": target.model, "litellm_params": ["model": "openai/gpt-4o", "litellm_credential_name": target.name], "model_info": info,
            ]))
            #expect(made.status == .ok, "\(target.model): \(made.text)")
        }
        var keys: [CredCaller: String] = [.admin: TestCatalog.masterKey]
        for caller in CredCaller.allCases where caller != .admin {
            let role = caller == .t1Admin || caller == .t2Admin ? "tenant_admin" : "tenant_member"
            let made = try await client.json("/key/generate", method: .post, body: json(["team_id": caller.team!, "role": role]))
            #expect(made.status == .ok, "\(caller): \(made.text)")
            keys[caller] = (made.body as? [String: Any])?["key"] as? String
        }
        return keys
    }

    static func credCreate(_ target: CredTarget, client: any TestClientProtocol) async throws {
        var info: [String: Any] = ["custom_llm_provider": "openai"]
        if let team = target.team { info["team_id"] = team }
        let made = try await client.json("/credentials", method: .post, body: json([
            "credential_name": target.name, "credential_info": info, "credential_values": ["api_key": "sk-matrix-\(target.name)"],
        ]))
        #expect(made.status == .ok, "\(target.name): \(made.text)")
    }
}
