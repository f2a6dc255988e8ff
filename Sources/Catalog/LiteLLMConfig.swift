import Foundation
import Yams

/// A LiteLLM proxy `config.yaml`, as far as the catalog is concerned: `model_list`,
/// `general_settings.master_key`, `general_settings.database_url` and
/// `router_settings.model_group_alias`.
///
/// Other sections (litellm_settings, router_settings, …) configure LiteLLM's router, not the
/// catalog: they are named in `ignoredSections` and otherwise left alone.
public struct LiteLLMConfig: Sendable {
    /// One `model_list` entry, with the line it starts on (for messages).
    public struct Model: Sendable, Hashable {
        public var modelName: String
        public var litellmParams: [String: JSONValue]
        public var modelInfo: [String: JSONValue]
        public var line: Int
        /// `model_info.team_id`: the team the model belongs to (nil: shared), and the line it is on.
        public var teamID: String?
        public var teamLine: Int?

        public init(modelName: String, litellmParams: [String: JSONValue], modelInfo: [String: JSONValue], line: Int,
                    teamID: String? = nil, teamLine: Int? = nil) {
            self.modelName = modelName
            self.litellmParams = litellmParams
            self.modelInfo = modelInfo
            self.line = line
            self.teamID = teamID
            self.teamLine = teamLine
        }
    }

    public var models: [Model]
    public var masterKey: String?
    public var databaseURL: String?
    public var ignoredSections: [String]
    /// `router_settings.model_group_alias`, in the file's order (nil: the file has none).
    public var aliases: [ModelGroupAlias]? = nil

    /// Reads and parses a config file; every error names the file, the line and the field.
    public static func load(path: String) throws -> LiteLLMConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: nil, field: nil, message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` only names it in errors.
    public static func parse(_ text: String, file: String) throws -> LiteLLMConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.fromYAML(error, file: file)
        }
        guard let root else {
            return LiteLLMConfig(models: [], masterKey: nil, databaseURL: nil, ignoredSections: [])
        }
        guard let top = root.mapping else {
            throw ConfigError(file: file, line: root.mark?.line, field: nil, message: "expected a mapping at the top level")
        }
        var config = LiteLLMConfig(models: [], masterKey: nil, databaseURL: nil, ignoredSections: [])
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "model_list":
                config.models = try parseModels(value, file: file)
            case "router_settings":
                config.aliases = try parseRouterSettings(value, file: file)
            case "general_settings":
                guard let settings = value.mapping else {
                    if value.null != nil { continue }
                    throw ConfigError(file: file, line: value.mark?.line, field: "general_settings", message: "expected a mapping")
                }
                for (settingKey, settingValue) in settings {
                    switch settingKey.string {
                    case "master_key":
                        config.masterKey = try string(settingValue, file: file, field: "general_settings.master_key")
                    case "database_url":
                        config.databaseURL = try string(settingValue, file: file, field: "general_settings.database_url")
                    default:
                        continue
                    }
                }
            default:
                config.ignoredSections.append(key)
            }
        }
        return config
    }

    /// `router_settings.model_group_alias`: each entry a model group's name, or `{model, hidden}`.
    private static func parseRouterSettings(_ node: Node, file: String) throws -> [ModelGroupAlias]? {
        if node.null != nil { return nil }
        guard let settings = node.mapping else {
            throw ConfigError(file: file, line: node.mark?.line, field: "router_settings", message: "expected a mapping")
        }
        guard let aliasNode = settings["model_group_alias"], aliasNode.null == nil else { return nil }
        let field = "router_settings.model_group_alias"
        guard let entries = aliasNode.mapping else {
            throw ConfigError(file: file, line: aliasNode.mark?.line, field: field, message: "expected a mapping of alias to model group")
        }
        var aliases: [ModelGroupAlias] = []
        var seen = Set<String>()
        for (keyNode, value) in entries {
            guard let alias = keyNode.scalar?.string, !alias.isEmpty else {
                throw ConfigError(file: file, line: keyNode.mark?.line, field: field, message: "an alias must be a non-empty string")
            }
            let entryField = "\(field).\(alias)"
            if !seen.insert(alias).inserted {
                throw ConfigError(file: file, line: keyNode.mark?.line, field: entryField, message: "duplicate alias")
            }
            var target: String?
            var hidden = false
            if let scalar = value.scalar, value.null == nil {
                target = scalar.string
            } else if let item = value.mapping {
                target = item["model"]?.scalar?.string
                if let flag = item["hidden"], flag.null == nil {
                    guard let bool = flag.bool else {
                        throw ConfigError(file: file, line: flag.mark?.line, field: "\(entryField).hidden", message: "hidden must be true or false")
                    }
                    hidden = bool
                }
            }
            guard let target, !target.isEmpty else {
                throw ConfigError(file: file, line: value.mark?.line ?? keyNode.mark?.line, field: entryField,
                                  message: "expected a model group name, or a mapping with model (and hidden)")
            }
            aliases.append(ModelGroupAlias(alias: alias, modelGroup: target, hidden: hidden))
        }
        return aliases
    }

    private static func parseModels(_ node: Node, file: String) throws -> [Model] {
        if node.null != nil { return [] }
        guard let list = node.sequence else {
            throw ConfigError(file: file, line: node.mark?.line, field: "model_list", message: "expected a list of models")
        }
        return try list.enumerated().map { index, entry in
            let field = "model_list[\(index)]"
            guard let mapping = entry.mapping else {
                throw ConfigError(file: file, line: entry.mark?.line, field: field, message: "expected a mapping with model_name and litellm_params")
            }
            let name = mapping["model_name"]
            guard let name, let modelName = name.scalar.map({ $0.string }), !modelName.isEmpty, name.mapping == nil else {
                throw ConfigError(file: file, line: name?.mark?.line ?? entry.mark?.line, field: "\(field).model_name",
                                  message: "model_name is required and must be a non-empty string")
            }
            guard let paramsNode = mapping["litellm_params"], case .object(let params) = try json(paramsNode, file: file, field: "\(field).litellm_params") else {
                throw ConfigError(file: file, line: keyLine(mapping, "litellm_params") ?? entry.mark?.line,
                                  field: "\(field).litellm_params", message: "litellm_params is required and must be a mapping")
            }
            guard let model = params["model"]?.stringValue, !model.isEmpty else {
                throw ConfigError(file: file, line: keyLine(paramsNode.mapping, "model") ?? keyLine(mapping, "litellm_params"),
                                  field: "\(field).litellm_params.model",
                                  message: "litellm_params.model is required and must be a non-empty string")
            }
            _ = model
            var info: [String: JSONValue] = [:]
            var team: (id: String, line: Int?)?
            if let infoNode = mapping["model_info"], infoNode.null == nil {
                guard case .object(let members) = try json(infoNode, file: file, field: "\(field).model_info") else {
                    throw ConfigError(file: file, line: keyLine(mapping, "model_info"), field: "\(field).model_info", message: "model_info must be a mapping")
                }
                info = members
                if let id = info["id"], id.stringValue?.isEmpty != false {
                    // An integer id in YAML is almost certainly meant as text.
                    if let number = id.intValue { info["id"] = .string(String(number)) } else {
                        throw ConfigError(file: file, line: keyLine(infoNode.mapping, "id"), field: "\(field).model_info.id",
                                          message: "model_info.id must be a non-empty string")
                    }
                }
                if let value = info["team_id"], !value.isNull {
                    let line = keyLine(infoNode.mapping, "team_id")
                    guard let id = value.stringValue ?? value.intValue.map(String.init), !id.isEmpty else {
                        throw ConfigError(file: file, line: line, field: "\(field).model_info.team_id",
                                          message: "model_info.team_id must be a non-empty string (a team's team_id)")
                    }
                    info["team_id"] = .string(id)
                    team = (id, line)
                }
            }
            return Model(modelName: modelName, litellmParams: params, modelInfo: info, line: entry.mark?.line ?? 0,
                         teamID: team?.id, teamLine: team?.line)
        }
    }

    /// The line of `key` in `mapping` (where the field is written), if both exist.
    private static func keyLine(_ mapping: Node.Mapping?, _ key: String) -> Int? {
        mapping?.first { $0.key.string == key }?.key.mark?.line
    }

    private static func string(_ node: Node, file: String, field: String) throws -> String? {
        if node.null != nil { return nil }
        guard let scalar = node.scalar else {
            throw ConfigError(file: file, line: node.mark?.line, field: field, message: "expected a string")
        }
        return scalar.string
    }

    /// Converts a YAML node to JSON; quoted scalars stay strings ("2024-06-01" is not a date).
    static func json(_ node: Node, file: String, field: String) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal || scalar.style == .folded {
                return .string(scalar.string)
            }
            if node.null != nil { return .null }
            if let number = node.int { return .int(number) }
            if let number = node.float, number.isFinite { return .double(number) }
            if let flag = node.bool { return .bool(flag) }
            return .string(scalar.string)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string else {
                    throw ConfigError(file: file, line: key.mark?.line, field: field, message: "mapping keys must be strings")
                }
                if members[name] != nil {
                    throw ConfigError(file: file, line: key.mark?.line, field: "\(field).\(name)", message: "duplicate key")
                }
                members[name] = try json(value, file: file, field: "\(field).\(name)")
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(try sequence.enumerated().map { index, item in try json(item, file: file, field: "\(field)[\(index)]") })
        case .alias:
            throw ConfigError(file: file, line: node.mark?.line, field: field, message: "YAML aliases are not supported")
        }
    }
}

/// A config file that cannot be used. The message never quotes values (they may be secrets).
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var field: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }

    static func fromYAML(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigError(file: file, line: mark.line, field: nil, message: "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return ConfigError(file: file, line: nil, field: duplicates.joined(separator: ", "), message: "duplicate key")
        default:
            return ConfigError(file: file, line: nil, field: nil, message: "invalid YAML")
        }
    }
}
