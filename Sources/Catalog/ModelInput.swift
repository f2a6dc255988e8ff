import Foundation

/// Validation of model-management request bodies, and the merge rules of updates: one place for
/// what a client may send to /model/new, /model/update and PATCH /model/{id}/update.
public enum ModelInput {
    /// Longest model name or id we accept: long enough for any real name, short enough to index.
    static let maxIdentifierLength = 256

    /// A new deployment from a /model/new body. The id is model_info.id, or a new UUID.
    public static func newDeployment(from body: JSONValue, source: Deployment.Source = .api) throws -> Deployment {
        let members = try object(body, field: nil)
        let modelName = try name(members["model_name"], field: "model_name")
        guard let paramsValue = members["litellm_params"], !paramsValue.isNull else {
            throw CatalogError.invalid(field: "litellm_params", message: "litellm_params is required")
        }
        let params = try litellmParams(paramsValue)
        guard params["model"] != nil else {
            throw CatalogError.invalid(field: "litellm_params.model", message: "litellm_params.model is required")
        }
        var info = try modelInfo(members["model_info"])
        for key in ModelInfoEnrichment.shownOnly { info[key] = nil }  // ours to say: an echoed one is not kept
        let id = try info["id"].map { try name($0, field: "model_info.id") } ?? UUID().uuidString.lowercased()
        info["id"] = .string(id)
        return Deployment(id: id, modelName: modelName, litellmParams: params, modelInfo: info, source: source)
    }

    /// The id an update body names (POST /model/update): the top-level `id` LiteLLM's client
    /// sends (`client.models.update(model_id=…)`), or `model_info.id`; both may be given when they
    /// are the same id.
    public static func updateID(from body: JSONValue) throws -> String {
        let members = try object(body, field: nil)
        let info = try modelInfo(members["model_info"])
        let top = try members["id"].flatMap { $0.isNull ? nil : try name($0, field: "id") }
        let inner = try info["id"].flatMap { $0.isNull ? nil : try name($0, field: "model_info.id") }
        switch (top, inner) {
        case (nil, nil):
            throw CatalogError.invalid(field: "model_info.id", message: "id (or model_info.id) is required to name the model to update")
        case (let top?, let inner?) where ExactID(top) != ExactID(inner):
            throw CatalogError.invalid(field: "model_info.id", message: "id and model_info.id name different models")
        default:
            return top ?? inner ?? ""
        }
    }

    /// A partial update: keys given replace, keys absent stay, `litellm_params_to_remove` (PATCH)
    /// removes. A secret sent back as the redaction placeholder stays the placeholder here: the
    /// store's `SecretSplit.split(_:previous:)` keeps the stored secret, or refuses the placeholder.
    ///
    /// `shown`: the model's `model_info` as a read shows it now. A `model_info` field the model
    /// does not hold itself, sent with exactly the value shown (a price or limit filled in from the
    /// cost map or an override, echoed by a UI that sends back what it read), is not stored: the
    /// model keeps following its layers instead of pinning today's price (litellm #40649). A
    /// different value is the caller's own, and is stored.
    public static func update(_ current: Deployment, with body: JSONValue, allowRemovals: Bool,
                              shown: [String: JSONValue] = [:]) throws -> Deployment {
        let members = try object(body, field: nil)
        var updated = current
        if let nameValue = members["model_name"], !nameValue.isNull {
            updated.modelName = try name(nameValue, field: "model_name")
        }
        if let paramsValue = members["litellm_params"], !paramsValue.isNull {
            let params = try litellmParams(paramsValue, requireModel: false)
            for (key, value) in params { updated.litellmParams[key] = value }
        }
        if let infoValue = members["model_info"], !infoValue.isNull {
            let info = try modelInfo(infoValue)
            if let id = info["id"], try name(id, field: "model_info.id") != current.id {
                throw CatalogError.invalid(field: "model_info.id", message: "model_info.id cannot be changed")
            }
            for (key, value) in info where !ModelInfoEnrichment.shownOnly.contains(key) {
                if current.modelInfo[key] == nil, let seen = shown[key], seen.sameValue(as: value) { continue }
                updated.modelInfo[key] = value
            }
        }
        if let removeValue = members["litellm_params_to_remove"], !removeValue.isNull {
            guard allowRemovals else {
                throw CatalogError.invalid(field: "litellm_params_to_remove", message: "litellm_params_to_remove is only accepted by PATCH /model/{id}/update")
            }
            guard case .array(let items) = removeValue else {
                throw CatalogError.invalid(field: "litellm_params_to_remove", message: "litellm_params_to_remove must be a list of key names")
            }
            for item in items {
                guard let key = item.stringValue else {
                    throw CatalogError.invalid(field: "litellm_params_to_remove", message: "litellm_params_to_remove must be a list of key names")
                }
                guard key != "model" else {
                    throw CatalogError.invalid(field: "litellm_params_to_remove", message: "litellm_params_to_remove cannot name model: litellm_params.model is required")
                }
                updated.litellmParams[key] = nil
            }
        }
        updated.modelInfo["id"] = .string(current.id)
        return updated
    }

    // MARK: - Field rules

    static func object(_ value: JSONValue, field: String?) throws -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw CatalogError.invalid(field: field, message: "\(field ?? "the request body") must be a JSON object, not \(value.typeName)")
        }
        return members
    }

    static func name(_ value: JSONValue?, field: String) throws -> String {
        guard let value, !value.isNull else { throw CatalogError.invalid(field: field, message: "\(field) is required") }
        guard let text = value.stringValue else {
            throw CatalogError.invalid(field: field, message: "\(field) must be a string, not \(value.typeName)")
        }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CatalogError.invalid(field: field, message: "\(field) must not be empty")
        }
        guard text.count <= maxIdentifierLength else {
            throw CatalogError.invalid(field: field, message: "\(field) is longer than \(maxIdentifierLength) characters")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CatalogError.invalid(field: field, message: "\(field) must not contain control characters")
        }
        return text
    }

    /// `litellm_params` keys that replace some of a deployment's (an update's, a restore's), each
    /// checked as in a new deployment.
    public static func partialParams(_ value: JSONValue) throws -> [String: JSONValue] {
        try litellmParams(value, requireModel: false)
    }

    static func litellmParams(_ value: JSONValue, requireModel: Bool = true) throws -> [String: JSONValue] {
        let params = try object(value, field: "litellm_params")
        if let model = params["model"] {
            _ = try name(model, field: "litellm_params.model")
        } else if requireModel {
            throw CatalogError.invalid(field: "litellm_params.model", message: "litellm_params.model is required")
        }
        var conformed = params
        for (key, value) in params {
            if let type = paramType(key) { conformed[key] = try self.conformed(value, to: type, field: "litellm_params.\(key)") }
        }
        return conformed
    }

    static func modelInfo(_ value: JSONValue?) throws -> [String: JSONValue] {
        guard let value, !value.isNull else { return [:] }
        var info = try object(value, field: "model_info")
        for (key, member) in info {
            if let type = infoType(key) { info[key] = try conformed(member, to: type, field: "model_info.\(key)") }
        }
        if let groups = info["access_groups"], !groups.isNull { _ = try accessGroups(groups, field: "model_info.access_groups") }
        return info
    }

    /// A list of access group names: non-empty strings, none of the spellings that mean "every
    /// model" (an allow-list naming such a group would mean every model, not the group).
    public static func accessGroups(_ value: JSONValue, field: String) throws -> [String] {
        guard let items = value.arrayValue else {
            throw CatalogError.invalid(field: field, message: "\(field) must be a list of access group names, not \(value.typeName)")
        }
        return try items.map { item in
            let group = try name(item, field: field)
            if ModelAllowList.everyModel.contains(group) {
                throw CatalogError.invalid(field: field, message: "'\(group)' means every model and cannot name an access group")
            }
            return group
        }
    }
}

extension ModelInput {
    /// Whether a /model/new body chooses its id (`model_info.id`) rather than leaving it to be generated.
    public static func choosesID(_ body: JSONValue) -> Bool {
        guard let id = body.objectValue?["model_info"]?.objectValue?["id"] else { return false }
        return !id.isNull
    }

    /// The team a new model's `model_info.team_id` asks for: nil when absent or null (shared).
    public static func requestedTeam(_ modelInfo: [String: JSONValue]) throws -> String? {
        guard let value = modelInfo["team_id"], !value.isNull else { return nil }
        guard let team = value.stringValue, !team.isEmpty else {
            throw CatalogError.invalid(field: "model_info.team_id", message: "model_info.team_id must be a non-empty string")
        }
        return team
    }

    /// The team an update body moves the model to: nil when the body does not name one (the model
    /// stays where it is), `.some(nil)` for `"team_id": null` (to shared).
    public static func teamMove(in body: JSONValue) throws -> String?? {
        guard let info = body.objectValue?["model_info"]?.objectValue, info.keys.contains("team_id") else { return nil }
        return .some(try requestedTeam(info))
    }
}
