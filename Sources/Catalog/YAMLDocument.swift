import Yams

/// A YAML document read as JSON, with the config file's rules: quoted scalars stay strings, no
/// aliases, no duplicate keys. For documents that ship with the service (the OpenAPI description),
/// so that they are read exactly as a config is.
public enum YAMLDocument {
    /// Parses `text`; `file` only names the document in errors.
    public static func json(_ text: String, file: String) throws -> JSONValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.fromYAML(error, file: file)
        }
        guard let root else { return .null }
        return try LiteLLMConfig.json(root, file: file, field: "$")
    }
}
