/// The routing view of a deployment: the `litellm_params` a router needs to call its provider,
/// secrets in clear. Given only to gateway keys (`AccessPolicy.receivesRoutingView`); never
/// cached, logged or shown to any other role.
///
/// - The literal secrets sealed apart (`SecretSplit`) are put back where the stored document shows
///   the placeholder.
/// - A credential named in `litellm_credential_name` is resolved: its values fill in the members
///   the deployment does not set itself (absent or null), as LiteLLM's router applies a credential,
///   and the name is dropped: a router fed this view keeps no credential list to look it up in.
/// - `os.environ/NAME` references are not secrets: they stay as written, for the gateway to
///   resolve in its own environment.
public enum RoutingView {
    /// The full `litellm_params` of `deployment` as stored (its secrets replaced by the placeholder,
    /// as the store reads it; not a snapshot's held-for-display form, which drops some secret
    /// members where the stored form keeps the placeholder), with its opened `secrets`
    /// and, when it names a credential it may use, that credential's opened `credentialValues`
    /// (nil: none, or none it may use).
    public static func litellmParams(of deployment: Deployment, secrets: SecretSplit.Secrets,
                                     credentialValues: [String: JSONValue]?) -> [String: JSONValue] {
        var params = SecretSplit.merge(deployment.litellmParams.mapValues(plain), secrets: secrets.litellmParams)
        params[Credential.paramName] = nil
        for (name, value) in credentialValues ?? [:] where name != Credential.paramName && params[name]?.isNull ?? true {
            params[name] = plain(value)
        }
        return params
    }

    /// `value` as a tree all the way down: an `.encoded` member stands for one, and secrets are
    /// put back by walking trees.
    private static func plain(_ value: JSONValue) -> JSONValue {
        switch value.expanded {
        case .object(let members): return .object(members.mapValues(plain))
        case .array(let items): return .array(items.map(plain))
        case let other: return other
        }
    }
}
