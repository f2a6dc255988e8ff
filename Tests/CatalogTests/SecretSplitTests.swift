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
    ]

    @Test("each value of the table", arguments: values)
    func value(key: String, value: JSONValue, isSecret: Bool) {
        let (stored, secrets) = SecretSplit.split([key: value, "neighbour": "visible"])
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

    @Test func secretsAreFoundAtAnyDepthWithTheirPath() {
        let (stored, secrets) = SecretSplit.split(Self.nested)
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

    @Test func theStoredFormHoldsNoSecretAndShowsAsTheOriginalDoes() {
        let params: [String: JSONValue] = [
            "model": "azure/gpt-4o", "api_key": "sk-test-123", "client_secret": "sk-test-123",
            "extra_headers": ["authorization": "sk-test-123", "list": [["token": "sk-test-123"]]],
            "vertex_credentials": ["private_key": "sk-test-123"],
        ]
        let stored = SecretSplit.split(params).stored
        let text = JSONWriter.string(.object(stored))
        #expect(!text.contains("sk-test-123"))
        #expect(text.contains("azure/gpt-4o"))
        // Redacting the stored form shows exactly what redacting the full parameters shows.
        #expect(Redaction.redact(stored) == Redaction.redact(params))
    }

    // MARK: - previous

    static let previous: [Path: JSONValue] = [
        [.key("api_key")]: "sk-old",
        [.key("extra_headers"), .key("Authorization")]: "Bearer old",
        [.key("fallbacks"), .index(1), .key("api_key")]: "sk-old-fallback",
    ]

    @Test func anEchoedPlaceholderKeepsThePreviousSecret() {
        let (stored, secrets) = SecretSplit.split([
            "model": "m", "api_key": Self.placeholder,
            "extra_headers": ["Authorization": Self.placeholder],
            "fallbacks": [["model": "a"], ["model": "b", "api_key": Self.placeholder]],
        ], previous: Self.previous)
        #expect(secrets == Self.previous)
        #expect(stored["api_key"] == Self.placeholder)
        #expect(stored["extra_headers"] == ["Authorization": Self.placeholder])
    }

    @Test func aNewValueReplacesThePreviousSecret() {
        let secrets = SecretSplit.split([
            "model": "m", "api_key": "sk-new", "extra_headers": ["Authorization": Self.placeholder],
        ], previous: Self.previous).secrets
        #expect(secrets == [[.key("api_key")]: "sk-new", [.key("extra_headers"), .key("Authorization")]: "Bearer old"])
    }

    @Test func aRemovedFieldDropsItsSecret() {
        let secrets = SecretSplit.split(
            ["model": "m", "extra_headers": ["X-Request-Source": "catalog"]], previous: Self.previous
        ).secrets
        #expect(secrets.isEmpty)
    }

    @Test("a reference or null in place of a secret drops it", arguments: ["os.environ/OPENAI_API_KEY", nil] as [JSONValue])
    func referenceOrNullReplacesTheSecret(value: JSONValue) {
        let (stored, secrets) = SecretSplit.split(["model": "m", "api_key": value], previous: Self.previous)
        #expect(stored["api_key"] == value)
        #expect(secrets.isEmpty)
    }

    @Test func previousIsMatchedByExactPath() {
        // The placeholder under a name or index that held no secret is a literal value, nothing is borrowed.
        let secrets = SecretSplit.split([
            "model": "m", "Authorization": Self.placeholder,
            "extra_headers": ["authorization": Self.placeholder],
            "fallbacks": [["model": "a", "api_key": Self.placeholder]],
        ], previous: Self.previous).secrets
        #expect(secrets == [
            [.key("Authorization")]: Self.placeholder,
            [.key("extra_headers"), .key("authorization")]: Self.placeholder,
            [.key("fallbacks"), .index(0), .key("api_key")]: Self.placeholder,
        ])
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
        let (stored, secrets) = SecretSplit.split(params)
        #expect(SecretSplit.merge(stored, secrets: secrets) == params)
    }

    @Test func mergeRestoresTheReferenceConfig() throws {
        let deployments = try Fixtures.deployments()
        #expect(!deployments.isEmpty)
        for deployment in deployments {
            let (stored, secrets) = SecretSplit.split(deployment.litellmParams)
            #expect(SecretSplit.merge(stored, secrets: secrets) == deployment.litellmParams, "\(deployment.id)")
        }
    }

    @Test func echoingTheStoredFormBackKeepsEverySecret() {
        // What an update does: the client sends back what it was shown, placeholders included.
        let (stored, secrets) = SecretSplit.split(Self.nested)
        let again = SecretSplit.split(stored, previous: secrets)
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
        #expect(SecretSplit.decode(SecretSplit.encode(secrets)) == secrets)
        // As sealed: through the JSON text.
        let text = JSONWriter.string(SecretSplit.encode(secrets))
        #expect(SecretSplit.decode(try JSONParser.parse(text)) == secrets)
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
