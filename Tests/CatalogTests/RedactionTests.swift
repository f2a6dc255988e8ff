import Catalog
import Testing

@Suite("Redaction")
struct RedactionTests {
    static let secret: JSONValue = "s3cr3t-value"
    static let masked: JSONValue = .string(Redaction.placeholder)

    enum Outcome: Sendable { case dropped, masked, shown }

    /// One row per key: what happens to a secret-looking string value under that name.
    static let table: [(String, Outcome)] = [
        // Dropped whatever their value, case ignored.
        ("api_key", .dropped), ("client_secret", .dropped), ("vertex_credentials", .dropped),
        ("vertex_ai_credentials", .dropped), ("aws_access_key_id", .dropped), ("aws_secret_access_key", .dropped),
        ("API_KEY", .dropped), ("Aws_Secret_Access_Key", .dropped),
        // Every secret piece, alone and inside a longer name.
        ("password", .masked), ("db_password", .masked), ("secret", .masked), ("webhook_secret", .masked),
        ("key", .masked), ("azure_key", .masked), ("token", .masked), ("aws_session_token", .masked),
        ("auth", .masked), ("auth_header", .masked), ("authorization", .masked), ("Authorization", .masked),
        ("cookie", .masked), ("set-cookie", .masked), ("credential", .masked), ("gcp_credential", .masked),
        ("credentials", .masked), ("aws_credentials", .masked), ("access", .masked), ("access_grant", .masked),
        ("private", .masked), ("private_pem", .masked), ("certificate", .masked), ("client_certificate", .masked),
        ("fingerprint", .masked), ("ssh-fingerprint", .masked),
        // Plurals, except "tokens".
        ("passwords", .masked), ("secrets", .masked), ("api_keys", .masked), ("cookies", .masked),
        ("certificates", .masked), ("fingerprints", .masked),
        // Case and both separators.
        ("X-API-KEY", .masked), ("x-api-key", .masked), ("Api-Key", .masked), ("PASSWORD", .masked),
        ("Proxy-Authorization", .masked), ("azure_ad_token", .masked), ("mixed_case-Token", .masked),
        // Prices and rate limits stay visible even with a secret piece.
        ("input_cost_per_token", .shown), ("output_cost_per_token", .shown), ("cache_read_input_token_cost", .shown),
        ("cost_per_key", .shown), ("rpm", .shown), ("tpm", .shown), ("tpm_limit", .shown), ("rpm_limit", .shown),
        ("key_rpm", .shown), ("token_tpm", .shown),
        // "tokens" is not "token"; a piece must be whole.
        ("max_tokens", .shown), ("max_input_tokens", .shown), ("max_output_tokens", .shown),
        ("monkey", .shown), ("keyboard", .shown), ("turkey_sandwich", .shown), ("tokenizer", .shown),
        ("oauth_scope", .shown), ("accessible", .shown), ("authority", .shown), ("keyring_path", .shown),
        ("model", .shown), ("api_base", .shown), ("api_version", .shown), ("max_parallel_requests", .shown),
        // camelCase and acronyms are split into pieces too (issue 11, item 9).
        ("apiKey", .masked), ("accessToken", .masked), ("clientSecret", .masked), ("XApiKey", .masked),
        ("APIKey", .masked), ("AWSSecretAccessKey", .masked), ("session2Token", .masked), ("x.api.key", .masked),
        ("Account Key", .masked), ("AccountKey", .masked), ("SharedAccessKey", .masked),
        // More secret pieces.
        ("apikey", .masked), ("APIKEY", .masked), ("passwd", .masked), ("db_pwd", .masked), ("bearer", .masked),
        ("ssh_passphrase", .masked), ("request_signature", .masked), ("sig", .masked),
        // camelCase prices, limits and harmless words stay visible.
        ("inputCostPerToken", .shown), ("maxTokens", .shown), ("tpmLimit", .shown), ("keyRpm", .shown),
        ("use_in_pass_through", .shown), ("passthrough", .shown), ("Keyboard", .shown), ("signed", .shown),
        ("apiBase", .shown), ("monkeyID", .shown), ("accessibleModels", .shown),
    ]

    @Test("each key of the table", arguments: table)
    func row(name: String, outcome: Outcome) {
        // A neighbour that must survive whatever happens to the key under test.
        let shown = Redaction.redact([name: Self.secret, "neighbour": "visible"])
        #expect(shown["neighbour"] == "visible")
        switch outcome {
        case .dropped:
            #expect(shown[name] == nil)
            #expect(Redaction.isDroppedKey(name))
            #expect(Redaction.isSecretKey(name))
        case .masked:
            #expect(shown[name] == Self.masked)
            #expect(!Redaction.isDroppedKey(name))
            #expect(Redaction.isSecretKey(name))
        case .shown:
            #expect(shown[name] == Self.secret)
            #expect(!Redaction.isSecretKey(name))
        }
    }

    /// One row per value under a harmless name: whether its form makes it a secret.
    static let valueTable: [(JSONValue, Bool)] = [
        // URLs with userinfo, with or without a password, and with a secret query parameter.
        ("https://user:pass@example.com/v1", true), ("https://user@example.com", true),
        ("postgres://catalog:pw@db:5432/catalog", true), ("https://example.com/v1?api_key=sk-1", true),
        ("https://example.com/v1?x=1&token=t#f", true), ("https://a.blob.core.windows.net/c?sv=2020&sig=abc", true),
        // Connection strings with a secret-named part.
        ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=xyz==;EndpointSuffix=core.windows.net", true),
        ("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=abc=", true),
        ("Server=db;Database=x;User Id=u;Password=p;", true), ("password=hunter2", true), ("AccessKey = k1 ; Region=eu", true),
        // Authorization values and private keys.
        ("Bearer sk-abc", true), ("bearer eyJhbGciOi", true), ("Basic dXNlcjpwYXNz", true),
        ("-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----", true),
        ("-----BEGIN RSA PRIVATE KEY-----", true),
        // Not secrets.
        ("https://example.openai.azure.com", false), ("https://example.com/v1?api-version=2024-10-21", false),
        ("https://example.com/path@v2", false), ("AccountName=acct;EndpointSuffix=core.windows.net", false),
        ("Password=", false), ("a=b", false), ("input_cost_per_token=0.1", false), ("Bearer", false),
        ("Bearer of good news", false), ("azure/gpt-4o", false), ("os.environ/DATABASE_URL", false),
        ("user@example.com", false), (42, false), (true, false), (nil, false), (["https://u:p@h"], false),
    ]

    @Test("each value of the table", arguments: valueTable)
    func valueRow(value: JSONValue, isSecret: Bool) {
        let shown = Redaction.redact(["note": value, "neighbour": "visible"])
        #expect(shown["neighbour"] == "visible")
        #expect(Redaction.isSecretMember("note", of: ["note": value]) == isSecret)
        if isSecret {
            #expect(shown["note"] == Self.masked)
        } else if value.arrayValue == nil {
            #expect(shown["note"] == value)
        }
    }

    @Test func secretValuesInListsAreMaskedItemByItem() {
        let shown = Redaction.redact(["fallback_bases": ["https://u:p@one.example", "https://two.example", "os.environ/X"]])
        #expect(shown["fallback_bases"] == [Self.masked, "https://two.example", "os.environ/X"])
    }

    @Test func theValueOfASecretNamedHeaderPairIsSecret() {
        let shown = Redaction.redact([
            "extra_headers": [
                ["name": "Authorization", "value": "token-1"], ["name": "X-Request-Source", "value": "catalog"],
                ["header": "x-api-key", "value": "token-2"], ["name": "Cookie", "value": "os.environ/COOKIE"],
            ],
        ])
        #expect(shown["extra_headers"] == [
            ["name": "Authorization", "value": Self.masked], ["name": "X-Request-Source", "value": "catalog"],
            ["header": "x-api-key", "value": Self.masked], ["name": "Cookie", "value": "os.environ/COOKIE"],
        ])
    }

    @Test func modelInfoKeysLiteLLMDefinesStayVisible() {
        var info: [String: JSONValue] = [:]
        for key in ModelInfoSchema.keys { info[key] = .string("value-of-\(key)") }
        info["apiKey"] = "sk-in-info"
        info["metadata"] = ["owner_token": "t-1", "owner": "ops"]
        let shown = Redaction.redact(info, document: .modelInfo)
        for key in ModelInfoSchema.keys { #expect(shown[key] == info[key], "\(key)") }
        #expect(shown["apiKey"] == Self.masked)
        #expect(shown["metadata"] == ["owner_token": Self.masked, "owner": "ops"])
        // In litellm_params, the same names are not exempt: only `model` is.
        #expect(Redaction.redact(["key": "k", "token_count_model": "x", "model": "Bearer x"])
            == ["key": Self.masked, "token_count_model": Self.masked, "model": "Bearer x"])
    }

    @Test func droppedKeysGoWhateverTheirValue() {
        let shown = Redaction.redact([
            "api_key": "os.environ/OPENAI_API_KEY", "client_secret": nil, "vertex_credentials": ["type": "service_account"],
        ])
        #expect(shown.isEmpty)
    }

    @Test func environmentReferencesAreShownAsWritten() {
        let shown = Redaction.redact([
            "aws_session_token": "os.environ/AWS_SESSION_TOKEN",
            "extra_headers": ["Authorization": "os.environ/UPSTREAM_AUTH"],
            "azure_ad_token": "not-os.environ/X",
        ])
        #expect(shown["aws_session_token"] == "os.environ/AWS_SESSION_TOKEN")
        #expect(shown["extra_headers"] == ["Authorization": "os.environ/UPSTREAM_AUTH"])
        #expect(shown["azure_ad_token"] == Self.masked)
    }

    @Test func nestedObjectsAndListsAreRedacted() {
        let shown = Redaction.redact([
            "extra_headers": ["Authorization": "Bearer x", "X-Request-Source": "catalog", "api_key": "sk-nested"],
            "fallbacks": [["model": "gpt-4o", "x-api-key": "sk-in-list", "api_key": "sk-in-list"], "plain", 3],
            "deep": ["level": ["cookie": "session=abc", "keep": true]],
        ])
        #expect(shown["extra_headers"] == ["Authorization": Self.masked, "X-Request-Source": "catalog"])
        #expect(shown["fallbacks"] == [["model": "gpt-4o", "x-api-key": Self.masked], "plain", 3])
        #expect(shown["deep"] == ["level": ["cookie": Self.masked, "keep": true]])
    }

    @Test func aMaskedObjectOrListIsMaskedWhole() {
        let shown = Redaction.redact([
            "credentials": ["type": "service_account", "project": "p", "client_email": "a@b"],
            "auth": ["Bearer a", "Bearer b"],
            "token": 12345,
            "secret": false,
        ])
        #expect(shown["credentials"] == Self.masked)
        #expect(shown["auth"] == Self.masked)
        #expect(shown["token"] == Self.masked)
        #expect(shown["secret"] == Self.masked)
    }

    @Test func aNullSecretStaysNull() {
        #expect(Redaction.redact(["password": nil])["password"] == .null)
    }

    @Test func noSecretValueSurvivesAnywhere() {
        let params: [String: JSONValue] = [
            "model": "azure/gpt-4o", "api_key": "sk-test-123", "client_secret": "sk-test-123",
            "extra_headers": ["authorization": "sk-test-123", "list": [["token": "sk-test-123"]]],
            // "credential" is a secret piece; only litellm_credential_name, which names a stored
            // credential, is public (CredentialPolicyTests).
            "backup_credential_name": "sk-test-123",
        ]
        let text = JSONWriter.string(.object(Redaction.redact(params)))
        #expect(!text.contains("sk-test-123"))
        #expect(text.contains("azure/gpt-4o"))
    }
}
