import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/v2/model/info`'s filters and sort (what the admin page pages through at 100k deployments),
/// the `model_info` fields the page reads (`catalog_source`, `secret_params`), and the
/// permissions `/key/info` tells a key about itself.
@Suite("The models page's queries")
struct ModelPageQueryTests {
    static func page(_ client: any TestClientProtocol, _ query: String, headers: HTTPFields = adminHeaders) async throws -> [[String: Any]] {
        let response = try await client.json("/v2/model/info?size=1000&\(query)", headers: headers)
        #expect(response.status == .ok, "\(query): \(response.text)")
        return (response.body as? [String: Any])?["data"] as? [[String: Any]] ?? []
    }

    static func info(_ entry: [String: Any]) -> [String: Any] { entry["model_info"] as? [String: Any] ?? [:] }
    static func ids(_ entries: [[String: Any]]) -> [String] { entries.compactMap { info($0)["id"] as? String } }

    @Test("provider, mode and blocked keep exactly the rows /model/info shows with them; search combines with them")
    func filters() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let all = try await Self.page(client, "")
            #expect(all.count == 50)
            let providers = Set(all.compactMap { Self.info($0)["litellm_provider"] as? String })
            #expect(providers.count >= 3, "the reference config has several providers: \(providers)")
            for provider in providers {
                let expected = Self.ids(all.filter { Self.info($0)["litellm_provider"] as? String == provider })
                #expect(Self.ids(try await Self.page(client, "provider=\(provider.uppercased())")) == expected, "provider \(provider)")
            }
            let modes = Set(all.compactMap { Self.info($0)["mode"] as? String })
            for mode in modes {
                let expected = Self.ids(all.filter { Self.info($0)["mode"] as? String == mode })
                #expect(Self.ids(try await Self.page(client, "mode=\(mode)")) == expected, "mode \(mode)")
            }
            #expect(try await Self.page(client, "provider=no-such-provider").isEmpty)

            let blocked = try await client.json("/model/block", method: .post, body: #"{"model_id":"dep-0001"}"#)
            #expect(blocked.status == .ok, "\(blocked.text)")
            #expect(Self.ids(try await Self.page(client, "blocked=true")) == ["dep-0001"])
            #expect(try await Self.page(client, "blocked=false").count == 49)

            let anthropic = all.filter { Self.info($0)["litellm_provider"] as? String == "anthropic" }
            let searched = try await Self.page(client, "provider=anthropic&search=haiku")
            #expect(Self.ids(searched) == Self.ids(anthropic.filter { ($0["model_name"] as? String ?? "").contains("haiku") }))
        }
        await catalog.close()
    }

    @Test("sortBy orders before paging, in both orders, rows without the value last; ties keep the catalog order")
    func sorting() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let names = try await Self.page(client, "sortBy=model_name").compactMap { $0["model_name"] as? String }
            #expect(names == names.sorted { $0.lowercased() < $1.lowercased() })
            let reversed = try await Self.page(client, "sortBy=model_name&sortOrder=desc").compactMap { $0["model_name"] as? String }
            #expect(reversed.map { $0.lowercased() } == names.map { $0.lowercased() }.reversed())

            func total(_ entry: [String: Any]) -> Double? {
                let prices = ["input_cost_per_token", "output_cost_per_token"].compactMap { Self.info(entry)[$0] as? Double }
                let sum = prices.reduce(0, +)
                return sum > 0 ? sum : nil
            }
            for order in ["asc", "desc"] {
                let costs = try await Self.page(client, "sortBy=costs&sortOrder=\(order)").map(total)
                let priced = costs.prefix { $0 != nil }.compactMap { $0 }
                #expect(costs.dropFirst(priced.count).allSatisfy { $0 == nil }, "unpriced rows come last (\(order))")
                #expect(priced == (order == "asc" ? priced.sorted() : priced.sorted(by: >)), "by cost \(order)")
                #expect(priced.count > 10)
            }
            let windows = try await Self.page(client, "sortBy=context_window&sortOrder=desc")
                .compactMap { Self.info($0)["max_input_tokens"] as? Double }
            #expect(windows == windows.sorted(by: >))

            // Paging follows the order: page 2 of 20 is entries 20..<40 of the whole sorted list.
            let sorted = Self.ids(try await Self.page(client, "sortBy=provider"))
            let second = try await client.json("/v2/model/info?sortBy=provider&page=2&size=20")
            let secondIDs = Self.ids((second.body as? [String: Any])?["data"] as? [[String: Any]] ?? [])
            #expect(secondIDs == Array(sorted[20..<40]))

            for (query, param) in [("sortBy=price", "sortBy"), ("sortOrder=up", "sortOrder"), ("blocked=maybe", "blocked")] {
                let refused = try await client.json("/v2/model/info?\(query)")
                #expect(refused.status == .badRequest, "\(query)")
                #expect(((refused.body as? [String: Any])?["error"] as? [String: Any])?["param"] as? String == param)
            }
        }
        await catalog.close()
    }

    @Test("model_info says where a model came from and which parameters hold a secret, never the secret")
    func sourceAndSecretNames() async throws {
        let catalog = try await TestCatalog.make(loadReferenceConfig: true)
        try await catalog.withClient { client in
            let made = try await client.json("/model/new", method: .post, body: """
                {"model_name": "page-secret", "litellm_params": {"model": "openai/gpt-4o", "api_key": "sk-page-literal-1",
                 "api_base": "https://user:pw@example.com/v1", "rpm": 5}}
                """)
            #expect(made.status == .ok, "\(made.text)")
            let page = try await client.json("/v2/model/info?search=page-secret")
            #expect(!page.text.contains("sk-page-literal-1") && !page.text.contains("user:pw"))
            let entry = try #require(((page.body as? [String: Any])?["data"] as? [[String: Any]])?.first)
            #expect(Self.info(entry)["catalog_source"] as? String == "api")
            #expect(Self.info(entry)["secret_params"] as? [String] == ["api_base", "api_key"])
            let config = try await Self.page(client, "search=gpt-4o-000")
            #expect(config.allSatisfy { Self.info($0)["catalog_source"] as? String == "config" })

            // An edit that echoes the read's model_info stores none of the shown-only fields.
            let id = try #require(Self.info(entry)["id"] as? String)
            let echo = try JSONSerialization.data(withJSONObject: ["model_info": Self.info(entry)])
            let updated = try await client.json("/model/\(id)/update", method: .patch, body: String(decoding: echo, as: UTF8.self))
            #expect(updated.status == .ok, "\(updated.text)")
            let history = try await client.json("/model/history?model_id=\(id)")
            #expect(!history.text.contains("catalog_source") && !history.text.contains("secret_params"))
        }
        await catalog.close()
    }

    @Test("/key/info about the caller itself says what it may do, as the policy decides")
    func permissions() async throws {
        let catalog = try await TestCatalog.make()
        try await catalog.withClient { client in
            func permissions(_ headers: HTTPFields) async throws -> [String: Bool] {
                let response = try await client.json("/key/info", headers: headers)
                #expect(response.status == .ok, "\(response.text)")
                return ((response.body as? [String: Any])?["info"] as? [String: Any])?["permissions"] as? [String: Bool] ?? [:]
            }
            let names = ["create_models", "change_team_models", "change_shared_models", "manage_keys", "manage_teams",
                         "create_credentials", "change_cost_map", "plan_config", "read_fleet", "read_team_history", "read_shared_history"]
            let master = try await permissions(adminHeaders)
            #expect(master.keys.sorted() == names.sorted())
            #expect(master.values.allSatisfy { $0 })

            _ = try await client.json("/team/new", method: .post, body: #"{"team_id":"team-p"}"#)
            func key(_ role: String) async throws -> HTTPFields {
                let made = try await client.json("/key/generate", method: .post, body: #"{"team_id":"team-p","role":"\#(role)"}"#)
                let text = try #require((made.body as? [String: Any])?["key"] as? String, "\(made.text)")
                return [.authorization: "Bearer \(text)"]
            }
            let tenantAdmin = try await permissions(try await key("tenant_admin"))
            #expect(tenantAdmin == ["create_models": true, "change_team_models": true, "change_shared_models": false,
                                    "manage_keys": true, "manage_teams": false, "create_credentials": true,
                                    "change_cost_map": false, "plan_config": false, "read_fleet": false,
                                    "read_team_history": true, "read_shared_history": false])
            let member = try await permissions(try await key("tenant_member"))
            #expect(member.keys.sorted() == names.sorted())
            #expect(member.filter(\.value).keys.sorted() == ["read_team_history"], "a member only reads")
            // Asked about another key, no permissions: they are the caller's own.
            let other = try await client.json("/key/list?return_full_object=true")
            let token = try #require((((other.body as? [String: Any])?["keys"] as? [[String: Any]])?.first)?["token"] as? String)
            let about = try await client.json("/key/info?key=\(token)")
            #expect(about.status == .ok)
            #expect(((about.body as? [String: Any])?["info"] as? [String: Any])?["permissions"] == nil)
        }
        await catalog.close()
    }
}
