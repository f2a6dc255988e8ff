import Catalog
import Testing

/// The routing view: what a gateway gets to call a provider. Built from a deployment as stored,
/// its opened secrets and its credential's opened values.
@Suite("Routing view")
struct RoutingViewTests {
    static let full: [String: JSONValue] = [
        "model": "azure/gpt-4o",
        "api_key": "sk-live-1",
        "api_version": "os.environ/AZURE_API_VERSION",
        "extra_headers": ["Authorization": "Bearer live", "X-Source": "catalog", "X-Api-Key": "os.environ/UPSTREAM_KEY"],
        "rpm": 60,
    ]

    /// `params` as the store keeps it: secrets out, placeholders in.
    static func stored(_ params: [String: JSONValue]) throws -> (Deployment, SecretSplit.Secrets) {
        let (stored, secrets) = try SecretSplit.split(Deployment(id: "m", modelName: "gpt-4o", litellmParams: params))
        return (stored, secrets)
    }

    @Test("secrets are opened at every depth; os.environ references stay as written")
    func opensSecrets() throws {
        let (stored, secrets) = try Self.stored(Self.full)
        #expect(stored.litellmParams["api_key"] == .string(Redaction.placeholder), "the stored form holds no secret")
        let view = RoutingView.litellmParams(of: stored, secrets: secrets, credentialValues: nil)
        #expect(view == Self.full)
        #expect(view["api_version"] == "os.environ/AZURE_API_VERSION")
        #expect(view["extra_headers"]?["X-Api-Key"] == "os.environ/UPSTREAM_KEY")
    }

    @Test("without its secrets the view still shows the placeholder: no secret is made up")
    func missingSecrets() throws {
        let (stored, _) = try Self.stored(Self.full)
        let view = RoutingView.litellmParams(of: stored, secrets: .init(), credentialValues: nil)
        #expect(view["api_key"] == .string(Redaction.placeholder))
        #expect(view["model"] == "azure/gpt-4o")
    }

    @Test("a credential fills in what the deployment does not set itself, and its name is dropped")
    func resolvesCredential() throws {
        var params = Self.full
        params["api_key"] = nil
        params["api_base"] = "https://own.example.com"
        params["organization"] = nil as JSONValue
        params[Credential.paramName] = "azure-prod"
        let (stored, secrets) = try Self.stored(params)
        let values: [String: JSONValue] = [
            "api_key": "sk-from-credential", "api_base": "https://credential.example.com", "organization": "org-1",
            "aws_region_name": "os.environ/REGION", Credential.paramName: "other",
        ]
        let view = RoutingView.litellmParams(of: stored, secrets: secrets, credentialValues: values)
        #expect(view[Credential.paramName] == nil)
        #expect(view["api_key"] == "sk-from-credential", "absent: the credential's")
        #expect(view["organization"] == "org-1", "null: the credential's")
        #expect(view["api_base"] == "https://own.example.com", "set by the deployment: its own")
        #expect(view["aws_region_name"] == "os.environ/REGION")
        #expect(view["extra_headers"]?["Authorization"] == "Bearer live")
        #expect(view["rpm"] == 60)
        // A deployment's own literal secret wins over the credential's.
        params["api_key"] = "sk-own"
        let (own, ownSecrets) = try Self.stored(params)
        #expect(RoutingView.litellmParams(of: own, secrets: ownSecrets, credentialValues: values)["api_key"] == "sk-own")
        // A credential it cannot use (nil) resolves nothing, and still names nothing.
        let unresolved = RoutingView.litellmParams(of: stored, secrets: secrets, credentialValues: nil)
        #expect(unresolved[Credential.paramName] == nil && unresolved["api_key"] == nil)
    }

    @Test("encoded members (as a snapshot holds them) are walked as trees")
    func encodedMembers() throws {
        let (stored, secrets) = try Self.stored(Self.full)
        // Only the member: a snapshot's whole document is no stored form (it drops some secret
        // members, such as api_key, where the stored form holds the placeholder).
        var held = stored
        held.litellmParams["extra_headers"] = stored.heldForDisplay.litellmParams["extra_headers"]
        guard case .encoded = held.litellmParams["extra_headers"] else {
            Issue.record("a snapshot holds extra_headers encoded")
            return
        }
        #expect(RoutingView.litellmParams(of: held, secrets: secrets, credentialValues: nil) == Self.full)
    }
}
