import Catalog
import Foundation
import Postgres

/// What importing a config would do, entry by entry, computed by the same walk that writes an
/// import (`ConfigModelLoader.visit`), so a plan says exactly what the import does: models
/// added, changed (field by field, redacted), deleted through the API and kept deleted, and
/// unchanged. A kept plan (`plan_id`) can be applied later, exactly as planned.
public struct ConfigPlan: Sendable {
    public enum Action: String, Sendable {
        case added
        case changed
        case keptDeleted = "kept_deleted"
        case unchanged
    }

    /// One entry of the config and what the import does with it.
    public struct Item: Sendable {
        public var id: String
        public var modelName: String
        public var tenantID: String?
        public var action: Action
        /// What it changes (`StoredModelView.diff`): empty for kept and unchanged entries.
        public var diff: [JSONValue]

        init(_ entry: ConfigModelLoader.Entry, _ action: Action, diff: [JSONValue] = []) {
            self.id = entry.id
            self.modelName = entry.model.modelName
            self.tenantID = entry.tenant
            self.action = action
            self.diff = diff
        }
    }

    /// Nil for a plan that was not kept (a dry run).
    public var id: UUID?
    public var file: String
    /// The change-log position the plan is consistent with.
    public var seq: Int64
    public var items: [Item]
    public var outcome: ConfigModelLoader.Outcome

    public var summary: JSONValue {
        [
            "added": .int(outcome.inserted), "changed": .int(outcome.updated),
            "kept_deleted": .int(outcome.keptDeleted), "unchanged": .int(outcome.unchanged),
        ]
    }

    /// The plan as `POST /config/plan` answers it.
    public var json: JSONValue {
        func listed(_ action: Action, diff: Bool) -> JSONValue {
            .array(items.filter { $0.action == action }.map { item in
                var entry: [String: JSONValue] = [
                    "id": .string(item.id), "model_name": .string(item.modelName),
                    "team_id": item.tenantID.map(JSONValue.string) ?? .null,
                ]
                if diff { entry["diff"] = .array(item.diff) }
                return .object(entry)
            })
        }
        return [
            "plan_id": id.map { .string($0.uuidString.lowercased()) } ?? .null,
            "file": .string(file), "seq": .int(Int(seq)), "summary": summary,
            "added": listed(.added, diff: true), "changed": listed(.changed, diff: true),
            "kept_deleted": listed(.keptDeleted, diff: false),
            "unchanged": .array(items.filter { $0.action == .unchanged }.map { .string($0.id) }),
        ]
    }

    /// The plan as `import-config --dry-run` prints it: a summary line, then one line per model
    /// added (+), changed (~, with its fields), kept deleted (-); unchanged ones are counted only.
    public var text: String {
        var out = "\(file): \(items.count) models: \(outcome.inserted) to add, \(outcome.updated) to change, "
            + "\(outcome.keptDeleted) kept deleted (deleted through the API), \(outcome.unchanged) unchanged\n"
        for item in items {
            let team = item.tenantID.map { " team \($0)" } ?? ""
            switch item.action {
            case .added: out += "+ \(item.id) (\(item.modelName))\(team)\n"
            case .changed:
                out += "~ \(item.id) (\(item.modelName))\(team)\n"
                for change in item.diff {
                    let field = change["field"]?.stringValue ?? "?"
                    let before = change["before"].map(JSONWriter.string) ?? "(none)"
                    let after = change["after"].map(JSONWriter.string) ?? "(none)"
                    out += "    \(field): \(before) -> \(after)\n"
                }
                if item.diff.isEmpty { out += "    (only a secret or the entry's formatting changed)\n" }
            case .keptDeleted: out += "- \(item.id) (\(item.modelName)) stays deleted\n"
            case .unchanged: break
            }
        }
        return out
    }
}

extension ConfigModelLoader {
    /// Plans the import of `models`, changing no model. `keep`: store the plan (its entries as
    /// they will be written, secrets sealed) for `apply(planID:actor:)`, made by `actor`.
    public func plan(_ models: [LiteLLMConfig.Model], file: String = "config", keep: Bool = false,
                     actor: String? = nil) async throws -> ConfigPlan {
        let entries = try await prepare(models, file: file)
        return try await pool.transaction { connection in
            // The position and the walk read one snapshot of the catalog.
            try connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            let seq = try ChangeFeed.highestPosition(on: connection)
            let (outcome, items) = try Self.visit(entries, file: file, write: false, on: connection)
            var plan = ConfigPlan(id: nil, file: file, seq: seq, items: items, outcome: outcome)
            if keep {
                try connection.query("DELETE FROM config_plans WHERE created_at < now() - interval '1 day'")
                plan.id = try connection.query("""
                    INSERT INTO config_plans (file, base_pos, entries, summary, created_by)
                    VALUES (\(file), \(seq), \(JSONColumns.bind(.array(entries.map(\.kept)))), \(JSONColumns.bind(plan.summary)), \(actor))
                    RETURNING id
                    """)[0].decode(UUID.self, "id")
            }
            return plan
        }
    }

    /// Applies the kept plan `planID` in one transaction, exactly as planned: 404 when there is no
    /// such plan (or it was applied), 409 when a model it names changed since it was made.
    /// Returns what it did and the ids of the models it names.
    public func apply(planID: UUID, actor: String?) async throws -> (outcome: Outcome, ids: [String]) {
        try await pool.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try ModelRepository.setActor(actor, on: connection)
            guard let row = try connection.query("""
                SELECT file, base_pos, entries FROM config_plans WHERE id = \(planID) FOR UPDATE
                """).first else {
                throw CatalogError.notFound(message: "plan '\(planID.uuidString.lowercased())' not found: it was applied already, or never made (plans are kept a day)")
            }
            let file = try row.decode(String.self, "file")
            let base = try row.decode(Int64.self, "base_pos")
            let entries = try Self.keptEntries(try JSONColumns.value(row, "entries"))
            let ids = entries.map(\.id)
            // Rows locked first: a writer of one of them either committed before (its change is
            // in the log below) or waits for this transaction.
            try connection.query("SELECT id FROM models WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE")
            if let changed = try connection.query("""
                SELECT entity_id, pos FROM changes WHERE entity = 'model' AND entity_id = ANY(\(ids)) AND pos > \(base)
                ORDER BY pos LIMIT 1
                """).first {
                throw CatalogError.conflict(
                    field: "plan_id",
                    message: "the catalog changed since the plan was made (at seq \(base)): model '\(try changed.decode(String.self, "entity_id"))' "
                        + "changed at seq \(try changed.decode(Int64.self, "pos")); make a new plan (POST /config/plan) and review it")
            }
            let (outcome, _) = try Self.visit(entries, file: file, write: true, on: connection)
            try connection.query("DELETE FROM config_plans WHERE id = \(planID)")
            return (outcome, ids)
        }
    }

    /// Entries as a plan keeps them: as they will be stored, literal secrets sealed.
    static func keptEntries(_ value: JSONValue) throws -> [Entry] {
        guard case .array(let items) = value else { throw CatalogError.internal(message: "config_plans.entries is not a list") }
        return try items.map { item in
            guard let id = item["id"]?.stringValue, let index = item["index"]?.intValue, let hash = item["hash"]?.stringValue,
                  let name = item["model_name"]?.stringValue, let stored = item["stored"]?.objectValue,
                  let storedInfo = item["stored_info"]?.objectValue, let line = item["line"]?.intValue
            else { throw CatalogError.internal(message: "config_plans.entries holds an entry without its fields") }
            var sealed: (sealed: [UInt8], keyID: String)?
            if let text = item["sealed"]?.stringValue, let keyID = item["key_id"]?.stringValue, let bytes = Data(base64Encoded: text) {
                sealed = (Array(bytes), keyID)
            }
            let model = LiteLLMConfig.Model(modelName: name, litellmParams: stored, modelInfo: storedInfo, line: line,
                                            teamID: item["team_id"]?.stringValue, teamLine: item["team_line"]?.intValue)
            return Entry(id: id, index: index, hash: hash, model: model, tenant: item["tenant"]?.stringValue,
                         stored: stored, storedInfo: storedInfo, sealed: sealed)
        }
    }
}

extension ConfigModelLoader.Entry {
    /// The entry as a plan keeps it: no literal secret, only the sealed form.
    var kept: JSONValue {
        [
            "id": .string(id), "index": .int(index), "hash": .string(hash), "model_name": .string(model.modelName),
            "tenant": tenant.map(JSONValue.string) ?? .null, "team_id": model.teamID.map(JSONValue.string) ?? .null,
            "team_line": model.teamLine.map(JSONValue.int) ?? .null, "line": .int(model.line),
            "stored": .object(stored), "stored_info": .object(storedInfo),
            "sealed": sealed.map { .string(Data($0.sealed).base64EncodedString()) } ?? .null,
            "key_id": sealed.map { .string($0.keyID) } ?? .null,
        ]
    }
}
