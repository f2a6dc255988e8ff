import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// /key/update and /key/regenerate: changes of an existing key, bounded by the policy like a new
/// key (`AccessPolicy.updatedKey`).
extension KeyController {
    /// LiteLLM's /key/update: `key` (its text or token), or `key_alias` alone to name the key;
    /// `key_alias`, `team_id`, `models`, `duration` or `expires`, `aliases` change it.
    @Sendable func update(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.read(request))
        let key = try body.string("key")
        let record: APIKeyRecord
        if let key {
            record = try await visibleRecord(key, to: principal)
        } else if let alias = try body.string("key_alias") {
            record = try await self.record(alias: alias, to: principal)
        } else {
            throw CatalogError.invalid(field: "key", message: "key (or key_alias) is required")
        }
        let change = try KeyChangeRequest(body, aliasIdentifies: key == nil)
        let updated = try await keys.update(id: record.id, actor: principal.actor) { current in
            let fields = try Self.fields(current, change, by: principal)
            try expected?.check(version: current.version, of: "key '\(current.token)'")
            return fields
        }
        await afterWrite(.keys)
        var reply = Self.json(updated).objectValue ?? [:]
        reply["key"] = .string(updated.token)
        return EntityTags.tagged(JSONBody.response(.object(reply)), version: updated.version)
    }

    /// LiteLLM's /key/regenerate and /key/{key}/regenerate: a new text for the key (or the one
    /// given as `new_key`), with the changes /key/update takes. The old text stops working with
    /// the commit, on every replica (its digest is gone from the row the change log names).
    @Sendable func regenerate(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let expected = try EntityTags.precondition(request)
        let body = try RequestFields(try await RequestJSON.readOptional(request) ?? .object([:]))
        guard let key = try body.string("key") ?? context.parameters.get("key"), !key.isEmpty else {
            throw CatalogError.invalid(field: "key", message: "the key to regenerate is required (in the path or as key)")
        }
        if body.given("new_master_key") {
            throw CatalogError.invalid(field: "new_master_key", message: "the master key is set in the service's configuration; it cannot be regenerated here")
        }
        if let grace = try body.string("grace_period"), !grace.isEmpty {
            throw CatalogError.invalid(field: "grace_period", message: "grace periods are not supported: the old key stops working at once")
        }
        let text = try body.string("new_key") ?? KeyRepository.newKeyText()
        guard text.hasPrefix("sk-"), text.utf8.count >= 16 else {
            throw CatalogError.invalid(field: "new_key", message: "new_key must start with 'sk-' and be at least 16 characters long")
        }
        let record = try await visibleRecord(key, to: principal)
        let change = try KeyChangeRequest(body, aliasIdentifies: false)
        let updated = try await keys.update(id: record.id, newKeyText: text, actor: principal.actor) { current in
            let fields = try Self.fields(current, change, by: principal)
            try expected?.check(version: current.version, of: "key '\(current.token)'")
            return fields
        }
        await afterWrite(.keys)
        var reply = Self.json(updated).objectValue ?? [:]
        reply["key"] = .string(text)
        reply["token_id"] = .string(updated.token)
        return EntityTags.tagged(JSONBody.response(.object(reply)), version: updated.version)
    }

    /// The fields `current` gets from `change`, as the policy lets `principal` set them.
    static func fields(_ current: APIKeyRecord, _ change: KeyChangeRequest, by principal: Principal) throws -> KeyFields {
        let granted = try AccessPolicy.updatedKey(current, by: principal, isCaller: current.isKey(of: principal),
                                                  team: change.team, models: change.models, expiresAt: change.expiresAt)
        return change.applied(to: current, granted: granted)
    }
}
