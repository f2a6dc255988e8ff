import Catalog
import Testing

@Suite("SecretSplit")
struct SecretSplitTests {
    typealias Path = SecretSplit.Path

    static let placeholder: JSONValue = .string(Redaction.placeholder)

    /// One row per value under a key: whether `split` takes it out of the stored parameters.
    static let values: [(String, JSONValue, Bool)] = [
        // Literal secrets, dropped and masked names alike, whatever their type, taken out whole.
        ("api_key", "sk-live-1", true), ("aws_secret_access_key", "wJalr", true), ("API_KEY", "sk-live-2", true),
        ("azure_ad_token", "eyJhbGciOi", true), ("db_password", "hunter2", true),
        ("vertex_credentials", ["type": "service_account", "private_key": "-----BEGIN"], true),
        ("auth", ["Bearer a", "Bearer b"], true), ("token", 12345, true), ("secret", false, true),
        // Not quite a reference: the prefix is exact and case-sensitive.
        ("azure_ad_token", "not-os.environ/X", true), ("api_key", "OS.ENVIRON/OPENAI_API_KEY", true),
        // References name a secret, null hides nothing: both stay as written.
        ("api_key", "os.environ/OPENAI_API_KEY", false), ("aws_session_token", "os.environ/AWS_SESSION_TOKEN", false),
        ("password", nil, false),
        // Not secret names.
        ("max_tokens", 4096, false), ("input_cost_per_token", 0.000_002_5, false), ("rpm_limit", 10, false),
        ("model", "azure/gpt-4o", false), ("api_base", "https://example.openai.azure.com", false),
        // Secret by name in camelCase, or by the form of the value (sealed whole).
        ("apiKey", "sk-camel", true), ("XApiKey", "sk-x", true), ("clientSecret", "cs", true), ("passwd", "pw", true),
        ("api_base", "https://user:pass@proxy.example.com/v1", true),
        ("azure_storage", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=xyz;EndpointSuffix=core.windows.net", true),
        ("upstream_header", "Bearer sk-live", true),
    ]

    @Test("each value of the table", arguments: values)
    func value(key: String, value: JSONValue, isSecret: Bool) throws {
        let (stored, secrets) = try SecretSplit.split([key: value, "neighbour": "visible"])
        #expect(stored["neighbour"] == "visible")
        #expect(stored.count == 2)
        if isSecret {
            #expect(stored[key] == Self.placeholder)
            #expect(secrets == [[.key(key)]: value])
        } else {
            #expect(stored[key] == value)
            #expect(secrets.isEmpty)
        }
    }

    static let nested: [String: JSONValue] = [
        "model": "azure/gpt-4o",
        "extra_headers": [
            "Authorization": "Bearer live", "X-Request-Source": "catalog", "X-Api-Key": "os.environ/UPSTREAM_KEY",
        ],
        "fallbacks": [["model": "gpt-4o", "x-api-key": "sk-in-list"], "plain", 3, ["cookie": nil]],
        "deep": ["level": ["cookie": "session=abc", "keep": true]],
    ]

    @Test func secretsAreFoundAtAnyDepthWithTheirPath() throws {
        let (stored, secrets) = try SecretSplit.split(Self.nested)
        #expect(secrets == [
            [.key("extra_headers"), .key("Authorization")]: "Bearer live",
            [.key("fallbacks"), .index(0), .key("x-api-key")]: "sk-in-list",
            [.key("deep"), .key("level"), .key("cookie")]: "session=abc",
        ])
        #expect(stored == [
            "model": "azure/gpt-4o",
            "extra_headers": [
                "Authorization": Self.placeholder, "X-Request-Source": "catalog", "X-Api-Key": "os.environ/UPSTREAM_KEY",
            ],
            "fallbacks": [["model": "gpt-4o", "x-api-key": Self.placeholder], "plain", 3, ["cookie": nil]],
            "deep": ["level": ["cookie": Self.placeholder, "keep": true]],
        ])
    }

    @Test func theStoredFormHoldsNoSecretAndShowsAsTheOriginalDoes() throws {
        let params: [String: JSONValue] = [
            "model": "azure/gpt-4o", "api_key": "sk-test-123", "client_secret": "sk-test-123",
            "extra_headers": ["authorization": "sk-test-123", "list": [["token": "sk-test-123"]]],
            "vertex_credentials": ["private_key": "sk-test-123"],
            "api_base": "https://u:sk-test-123@example.com", "extra_body": ["pairs": [["name": "X-Api-Key", "value": "sk-test-123"]]],
        ]
        let stored = try SecretSplit.split(params).stored
        let text = JSONWriter.string(.object(stored))
        #expect(!text.contains("sk-test-123"))
        #expect(text.contains("azure/gpt-4o"))
        // Redacting the stored form shows exactly what redacting the full parameters shows.
        #expect(Redaction.redact(stored) == Redaction.redact(params))
    }

    // MARK: - previous

    /// The document as it was, its secrets opened: what an update splits against.
    static let previous: [String: JSONValue] = [
        "model": "m", "api_key": "sk-old", "api_version": "2024-10-21",
        "extra_headers": ["Authorization": "Bearer old", "X-Source": "catalog"],
        "fallbacks": [["model": "a"], ["model": "b", "api_key": "sk-old-fallback"]],
    ]

    static let previousSecrets: [Path: JSONValue] = [
        [.key("api_key")]: "sk-old",
        [.key("extra_headers"), .key("Authorization")]: "Bearer old",
        [.key("fallbacks"), .index(1), .key("api_key")]: "sk-old-fallback",
    ]

    @Test func anEchoedPlaceholderKeepsThePreviousSecret() throws {
        let (stored, secrets) = try SecretSplit.split([
            "model": "m", "api_key": Self.placeholder,
            "extra_headers": ["Authorization": Self.placeholder],
            "fallbacks": [["model": "a"], ["model": "b", "api_key": Self.placeholder]],
        ], previous: Self.previous)
        #expect(secrets == Self.previousSecrets)
        #expect(stored["api_key"] == Self.placeholder)
        #expect(stored["extra_headers"] == ["Authorization": Self.placeholder])
    }

    @Test func aNewValueReplacesThePreviousSecret() throws {
        let secrets = try SecretSplit.split([
            "model": "m", "api_key": "sk-new", "extra_headers": ["Authorization": Self.placeholder],
        ], previous: Self.previous).secrets
        #expect(secrets == [[.key("api_key")]: "sk-new", [.key("extra_headers"), .key("Authorization")]: "Bearer old"])
    }

    @Test func aRemovedFieldDropsItsSecret() throws {
        let secrets = try SecretSplit.split(
            ["model": "m", "extra_headers": ["X-Request-Source": "catalog"]], previous: Self.previous
        ).secrets
        #expect(secrets.isEmpty)
    }

    @Test("a reference or null in place of a secret drops it", arguments: ["os.environ/OPENAI_API_KEY", nil] as [JSONValue])
    func referenceOrNullReplacesTheSecret(value: JSONValue) throws {
        let (stored, secrets) = try SecretSplit.split(["model": "m", "api_key": value], previous: Self.previous)
        #expect(stored["api_key"] == value)
        #expect(secrets.isEmpty)
    }

    /// Placeholders where nothing secret was stored at that path: each is refused, naming the path.
    static let unresolved: [([String: JSONValue], String)] = [
        (["model": "m", "Authorization": placeholder], "litellm_params.Authorization"),
        (["model": "m", "extra_headers": ["authorization": placeholder]], "litellm_params.extra_headers.authorization"),
        // Not a secret before: a placeholder would seal a visible value, or store the text.
        (["model": "m", "api_version": placeholder], "litellm_params.api_version"),
        (["model": "m", "extra_headers": ["X-Source": placeholder]], "litellm_params.extra_headers.X-Source"),
        (["model": placeholder], "litellm_params.model"),
        // A list element that was not there, or was another element.
        (["model": "m", "fallbacks": [["model": "a"], ["model": "b"], ["model": "c", "api_key": placeholder]]],
         "litellm_params.fallbacks[2].api_key"),
        (["model": "m", "fallbacks": [["model": "b", "api_key": placeholder], ["model": "a"]]],
         "litellm_params.fallbacks[0].api_key"),
        (["model": "m", "fallbacks": [["model": "a", "api_key": placeholder]]], "litellm_params.fallbacks[0].api_key"),
    ]

    @Test("a placeholder with no stored secret at its path is refused", arguments: unresolved)
    func placeholderWithoutSecret(params: [String: JSONValue], field: String) {
        do {
            _ = try SecretSplit.split(params, previous: Self.previous)
            Issue.record("the placeholder at \(field) was accepted")
        } catch CatalogError.invalid(let named, let message) {
            #expect(named == field)
            #expect(message.contains(field))
            #expect(!message.contains("sk-old") && !message.contains("Bearer old"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func aPlaceholderInANewDocumentIsRefused() {
        #expect(throws: CatalogError.self) { try SecretSplit.split(["model": "m", "api_key": Self.placeholder]) }
        #expect(throws: CatalogError.self) { try SecretSplit.split(["apiKey": Self.placeholder], document: .modelInfo) }
    }

    @Test func aStoredPlaceholderIsNoSecretToKeep() throws {
        // A row an older version broke (the placeholder text sealed as the secret) cannot lend it again.
        #expect(throws: CatalogError.self) {
            try SecretSplit.split(["model": "m", "api_key": Self.placeholder], previous: ["model": "m", "api_key": Self.placeholder])
        }
    }

    static let pairs: [String: JSONValue] = [
        "model": "m",
        "extra_headers": [["name": "Authorization", "value": "Bearer one"], ["name": "X-Api-Key", "value": "sk-two"],
                          ["name": "X-Source", "value": "catalog"]],
    ]

    @Test func reorderedPairsNeverSwapOrLoseASecret() throws {
        let shown = try SecretSplit.split(Self.pairs).stored
        guard case .array(let items) = shown["extra_headers"] else { Issue.record("not a list"); return }
        // Echoed in the same order: each pair keeps its own secret.
        let same = try SecretSplit.split(shown, previous: Self.pairs)
        #expect(SecretSplit.merge(same.stored, secrets: same.secrets) == Self.pairs)
        // Echoed reordered: refused, rather than Authorization getting X-Api-Key's secret.
        var reordered = shown
        reordered["extra_headers"] = .array([items[1], items[0], items[2]])
        #expect(throws: CatalogError.self) { try SecretSplit.split(reordered, previous: Self.pairs) }
        // A pair renamed in place is another pair: refused too.
        var renamed = shown
        renamed["extra_headers"] = .array([["name": "Proxy-Authorization", "value": Self.placeholder], items[1], items[2]])
        #expect(throws: CatalogError.self) { try SecretSplit.split(renamed, previous: Self.pairs) }
        // Reordered with the secrets sent again: accepted, each secret where its name went.
        var resent = shown
        resent["extra_headers"] = .array([["name": "X-Api-Key", "value": "sk-two"], ["name": "Authorization", "value": "Bearer one"], items[2]])
        let split = try SecretSplit.split(resent, previous: Self.pairs)
        #expect(split.secrets == [
            [.key("extra_headers"), .index(0), .key("value")]: "sk-two",
            [.key("extra_headers"), .index(1), .key("value")]: "Bearer one",
        ])
        // Appending after them keeps the earlier indices, and their secrets.
        var appended = shown
        appended["extra_headers"] = .array(items + [["name": "X-New", "value": "n"]])
        let kept = try SecretSplit.split(appended, previous: Self.pairs)
        #expect(kept.secrets[[.key("extra_headers"), .index(1), .key("value")]] == "sk-two")
    }

    @Test func aDeploymentSplitsBothDocuments() throws {
        let deployment = Deployment(id: "d", modelName: "m", litellmParams: ["model": "openai/gpt-4o", "apiKey": "sk-1"],
                                    modelInfo: ["id": "d", "key": "gpt-4o", "webhook_secret": "whs", "mode": "chat"])
        let (stored, secrets) = try SecretSplit.split(deployment)
        #expect(stored.litellmParams == ["model": "openai/gpt-4o", "apiKey": Self.placeholder])
        #expect(stored.modelInfo == ["id": "d", "key": "gpt-4o", "webhook_secret": Self.placeholder, "mode": "chat"])
        #expect(secrets == SecretSplit.Secrets(litellmParams: [[.key("apiKey")]: "sk-1"], modelInfo: [[.key("webhook_secret")]: "whs"]))
        #expect(SecretSplit.merge(stored, secrets: secrets) == deployment)
    }

    @Test func separateKeepsPlaceholdersAsWritten() {
        let (stored, secrets) = SecretSplit.separate(["model": "m", "api_key": Self.placeholder, "apiKey": "sk-clear"])
        #expect(stored == ["model": "m", "api_key": Self.placeholder, "apiKey": Self.placeholder])
        #expect(secrets == [[.key("apiKey")]: "sk-clear"])
    }

    // MARK: - merge

    static let roundTrips: [[String: JSONValue]] = [
        [:],
        ["model": "openai/gpt-4o"],
        ["model": "openai/gpt-4o", "api_key": "sk-1", "api_base": "https://api.example.com", "tpm": 1000],
        nested,
        ["model": "m", "api_key": .string(Redaction.placeholder), "password": nil, "token": "os.environ/T"],
        ["model": "m", "vertex_credentials": ["private_key": "pem", "nested": [["token": "t"]]], "list": [[], [:], nil]],
    ]

    @Test("merge(split) restores the parameters", arguments: roundTrips)
    func mergeRestores(params: [String: JSONValue]) {
        let (stored, secrets) = SecretSplit.separate(params)
        #expect(SecretSplit.merge(stored, secrets: secrets) == params)
    }

    @Test func mergeRestoresTheReferenceConfig() throws {
        let deployments = try Fixtures.deployments()
        #expect(!deployments.isEmpty)
        for deployment in deployments {
            let (stored, secrets) = try SecretSplit.split(deployment)
            #expect(SecretSplit.merge(stored, secrets: secrets) == deployment, "\(deployment.id)")
            #expect(stored.litellmParams.count == deployment.litellmParams.count)
        }
    }

    @Test func echoingTheStoredFormBackKeepsEverySecret() throws {
        // What an update does: the client sends back what it was shown, placeholders included.
        let (stored, secrets) = try SecretSplit.split(Self.nested)
        let again = try SecretSplit.split(stored, previous: Self.nested)
        #expect(again.stored == stored)
        #expect(again.secrets == secrets)
        #expect(SecretSplit.merge(again.stored, secrets: again.secrets) == Self.nested)
    }

    @Test func mergePutsNothingWhereTheStoredFormHasNoPlace() {
        let stored: [String: JSONValue] = ["model": "m", "fallbacks": [["model": "a"]], "extra_headers": "plain"]
        let merged = SecretSplit.merge(stored, secrets: [
            [.key("api_key")]: "sk-gone",
            [.key("fallbacks"), .index(3), .key("api_key")]: "sk-out-of-range",
            [.key("fallbacks"), .key("api_key")]: "sk-key-into-list",
            [.key("extra_headers"), .key("Authorization")]: "Bearer into-string",
        ])
        #expect(merged == stored)
    }

    // MARK: - encode / decode

    static let secretSets: [[Path: JSONValue]] = [
        [:],
        [[.key("api_key")]: "sk-1"],
        [
            [.key("extra_headers"), .key("Authorization")]: "Bearer x",
            [.key("fallbacks"), .index(0), .key("x-api-key")]: "sk-in-list",
            [.key("vertex_credentials")]: ["type": "service_account", "keys": [1, 2.5, true, nil]],
            [.key("0"), .index(0)]: 42,
        ],
    ]

    @Test("decode(encode) restores the secrets", arguments: secretSets)
    func encodeDecode(secrets: [Path: JSONValue]) throws {
        #expect(SecretSplit.decode(SecretSplit.encode(secrets))?.litellmParams == secrets)
        // As sealed: through the JSON text.
        let text = JSONWriter.string(SecretSplit.encode(secrets))
        #expect(SecretSplit.decode(try JSONParser.parse(text)) == SecretSplit.Secrets(litellmParams: secrets))
        // With model_info secrets beside them.
        let both = SecretSplit.Secrets(litellmParams: secrets, modelInfo: [[.key("webhook_secret")]: "whs"])
        #expect(SecretSplit.decode(try JSONParser.parse(JSONWriter.string(SecretSplit.encode(both)))) == both)
    }

    @Test func encodeWritesPathsAsKeysAndIndices() {
        let document = SecretSplit.encode([[.key("fallbacks"), .index(2), .key("api_key")]: "sk-1"])
        #expect(document == [["path": ["fallbacks", 2, "api_key"], "value": "sk-1"]])
    }

    @Test func equalSecretsEncodeEqually() {
        var forward: [Path: JSONValue] = [:]
        var backward: [Path: JSONValue] = [:]
        let entries: [(Path, JSONValue)] = (0..<20).map { ([.key("k\($0)"), .index($0)], .string("v\($0)")) }
        for (path, value) in entries { forward[path] = value }
        for (path, value) in entries.reversed() { backward[path] = value }
        #expect(JSONWriter.string(SecretSplit.encode(forward)) == JSONWriter.string(SecretSplit.encode(backward)))
    }

    static let malformed: [JSONValue] = [
        nil, "[]", 1, ["path": ["api_key"], "value": "x"],
        ["not an entry"],
        [["path": "api_key", "value": "x"]],
        [["value": "x"]],
        [["path": ["api_key"]]],
        [["path": [true], "value": "x"]],
        [["path": [nil], "value": "x"]],
        [["path": [1.5], "value": "x"]],
        [["path": [["api_key"]], "value": "x"]],
        [["path": ["api_key"], "value": "x"], ["path": ["token"]]],
        [["path": ["api_key"], "value": "x", "in": "metadata"]],
    ]

    @Test("decode refuses a document of another shape", arguments: malformed)
    func decodeMalformed(document: JSONValue) {
        #expect(SecretSplit.decode(document) == nil)
    }

    @Test func isEnvironmentReference() {
        #expect(SecretSplit.isEnvironmentReference("os.environ/OPENAI_API_KEY"))
        #expect(SecretSplit.isEnvironmentReference("os.environ/"))
        #expect(!SecretSplit.isEnvironmentReference("OS.ENVIRON/OPENAI_API_KEY"))
        #expect(!SecretSplit.isEnvironmentReference(" os.environ/X"))
        #expect(!SecretSplit.isEnvironmentReference(["os.environ/X"]))
        #expect(!SecretSplit.isEnvironmentReference(nil))
    }
}
