import Catalog
import Crypto
import Foundation
import Postgres

/// Upserts the models of a LiteLLM config into the catalog at start.
///
/// The rule for models that were also changed through the API (README, "Config and the API"): a
/// config entry is applied when it is new or when its text changed since it was last applied.
/// An unchanged entry leaves the row alone, so API updates survive a restart with the same file,
/// and a model deleted through the API stays deleted. Several replicas starting with the same
/// file take turns (advisory lock) and never duplicate a model: rows are keyed by id.
///
/// An entry with `model_info.team_id` is a model of that team, placed by the access policy exactly
/// as `/model/new` places an admin's model; a team that does not exist is an error naming the
/// file, the line and the field (teams are made with `/team/new`, never by a config file).
public struct ConfigModelLoader: Sendable {
    static let lockKey = 0x6D63_636F_6E66_6967  // "mcconfig"

    /// What a load did, for the start-up log line.
    public struct Outcome: Sendable, Equatable {
        public var inserted = 0
        public var updated = 0
        public var unchanged = 0
        public var keptDeleted = 0

        public init(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, keptDeleted: Int = 0) {
            self.inserted = inserted
            self.updated = updated
            self.unchanged = unchanged
            self.keptDeleted = keptDeleted
        }
    }

    let pool: StorePool
    let secretKey: SecretKey?

    public init(pool: PostgresConnectionPool, secretKey: SecretKey? = nil) {
        self.pool = StorePool(pool)
        self.secretKey = secretKey
    }

    public func load(_ models: [LiteLLMConfig.Model], file: String = "config") async throws -> Outcome {
        let entries = try await prepare(models, file: file)
        return try await pool.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            try ModelRepository.setActor(Principal.config.actor, on: connection)
            return try Self.visit(entries, file: file, write: true, on: connection).outcome
        }
    }

    /// The entries of a config, each split (secrets sealed) and placed by the policy, ready to
    /// write; a ConfigError names the file, line and field of the first bad one.
    func prepare(_ models: [LiteLLMConfig.Model], file: String) async throws -> [Entry] {
        let pepper = try await pool.withConnection { connection in
            try connection.query("SELECT value FROM service_settings WHERE name = 'config_hash_pepper'")[0].decode(String.self, "value")
        }
        let entries = try models.enumerated().map { index, model in
            let id = Self.id(for: model)
            var info = model.modelInfo
            info["id"] = .string(id)
            do {
                let (stored, secrets) = try SecretSplit.split(model.litellmParams)
                let (storedInfo, infoSecrets) = try SecretSplit.split(info, document: .modelInfo)
                return Entry(id: id, index: index, hash: Self.hash(model, pepper: pepper), model: model,
                             tenant: try AccessPolicy.tenant(forModel: id, named: model.modelName, by: .config, requested: model.teamID),
                             stored: stored, storedInfo: storedInfo,
                             sealed: try ModelRepository.seal(.init(litellmParams: secrets, modelInfo: infoSecrets), modelID: id, key: secretKey))
            } catch CatalogError.invalid(let field, let message) {
                throw ConfigError(file: file, line: model.line, field: "model_list[\(index)].\(field ?? "litellm_params")", message: message)
            }
        }
        var seen: [String: Int] = [:]
        for entry in entries {
            if let line = seen[entry.id] {
                throw CatalogError.invalid(
                    field: "model_info.id",
                    message: "two config models (lines \(line) and \(entry.model.line)) have the id '\(entry.id)'")
            }
            seen[entry.id] = entry.model.line
        }
        return entries
    }

    /// The one walk of an import, made to write it (`write`) or to plan it: the rule for each
    /// entry is decided here once, so a plan says exactly what a write does. Planning also
    /// collects what each entry would change, field by field (redacted).
    static func visit(_ entries: [Entry], file: String, write: Bool, on connection: PostgresConnection) throws
        -> (outcome: Outcome, planned: [ConfigPlan.Item])
    {
        try Self.requireTeams(of: entries, file: file, on: connection)
        var outcome = Outcome()
        var planned: [ConfigPlan.Item] = []
        for entry in entries {
            let existing = try connection.query("""
                SELECT id, tenant_id, model_name, litellm_params, model_info, version, source,
                       created_at, updated_at, created_by, updated_by, config_hash
                FROM models WHERE id = \(entry.id)
                """)
            let params = JSONColumns.bind(entry.stored)
            let infoBind = JSONColumns.bind(entry.storedInfo)
            if let row = existing.first {
                if try row.decode(String?.self, "config_hash") == entry.hash {
                    outcome.unchanged += 1
                    planned.append(.init(entry, .unchanged))
                    continue
                }
                try Self.checkCredential(of: entry, file: file, on: connection)
                outcome.updated += 1
                guard write else {
                    let current = try ModelRepository.deployment(row)
                    planned.append(.init(entry, .changed, diff: StoredModelView.diff(from: current, to: entry.deployment)))
                    continue
                }
                try connection.query("""
                    UPDATE models SET tenant_id = \(entry.tenant), model_name = \(entry.model.modelName), litellm_params = \(params),
                           model_info = \(infoBind), source = 'config', config_hash = \(entry.hash),
                           updated_at = now(), updated_by = 'config'
                    WHERE id = \(entry.id)
                    """)
                try ModelRepository.writeSecrets(entry.sealed, modelID: entry.id, on: connection)
                continue
            }
            let tombstone = try connection.query("SELECT config_hash FROM config_tombstones WHERE id = \(entry.id)")
            if let row = tombstone.first, try row.decode(String.self, "config_hash") == entry.hash {
                outcome.keptDeleted += 1
                planned.append(.init(entry, .keptDeleted))
                continue
            }
            try Self.checkCredential(of: entry, file: file, on: connection)
            outcome.inserted += 1
            guard write else {
                planned.append(.init(entry, .added, diff: StoredModelView.diff(from: nil, to: entry.deployment)))
                continue
            }
            try connection.query("DELETE FROM config_tombstones WHERE id = \(entry.id)")
            try connection.query("""
                INSERT INTO models (id, tenant_id, model_name, litellm_params, model_info, source, config_hash, created_by, updated_by)
                VALUES (\(entry.id), \(entry.tenant), \(entry.model.modelName), \(params), \(infoBind), 'config', \(entry.hash),
                        'config', 'config')
                """)
            try ModelRepository.writeSecrets(entry.sealed, modelID: entry.id, on: connection)
        }
        return (outcome, planned)
    }

    /// One config model, ready to write.
    struct Entry: Sendable {
        var id: String
        var index: Int
        var hash: String
        var model: LiteLLMConfig.Model
        var tenant: String?
        var stored: [String: JSONValue]
        var storedInfo: [String: JSONValue]
        var sealed: (sealed: [UInt8], keyID: String)?

        /// The model as the entry would store it (secrets as placeholders), for a plan's diff.
        var deployment: Deployment {
            Deployment(id: id, tenantID: tenant, modelName: model.modelName, litellmParams: stored, modelInfo: storedInfo, source: .config)
        }
    }

    /// Throws a ConfigError at the first entry whose team does not exist.
    static func requireTeams(of entries: [Entry], file: String, on connection: PostgresConnection) throws {
        let named = Array(Set(entries.compactMap(\.tenant))).sorted()
        guard !named.isEmpty else { return }
        let existing = Set(try connection.query("SELECT id FROM tenants WHERE id = ANY(\(named)) FOR SHARE")
            .map { try $0.decode(String.self, "id") })
        for entry in entries {
            guard let tenant = entry.tenant, !existing.contains(tenant) else { continue }
            throw ConfigError(
                file: file, line: entry.model.teamLine ?? entry.model.line, field: "model_list[\(entry.index)].model_info.team_id",
                message: "team '\(tenant)' does not exist: create it first (POST /team/new), then load the config again")
        }
    }

    /// Throws a ConfigError when the entry names a credential that does not exist or that its
    /// team may not use (the access policy's rule, as for API writes).
    static func checkCredential(of entry: Entry, file: String, on connection: PostgresConnection) throws {
        do {
            try CredentialRepository.checkUse(params: entry.stored, modelTenant: entry.tenant, on: connection)
        } catch CatalogError.invalid(_, let message) {
            throw ConfigError(file: file, line: entry.model.line, field: "model_list[\(entry.index)].\(Credential.fieldName)", message: message)
        }
    }

    /// model_info.id, or a stable id derived from model_name and litellm_params: the same entry
    /// gets the same id on every start and every replica. Secret values are left out of the
    /// derivation (the id is public): entries that differ only by a secret need model_info.id.
    public static func id(for model: LiteLLMConfig.Model) -> String {
        if let id = model.modelInfo["id"]?.stringValue, !id.isEmpty { return id }
        let material = JSONWriter.bytes([
            "model_name": .string(model.modelName), "litellm_params": .object(SecretSplit.separate(model.litellmParams).stored),
        ])
        var bytes = Array(SHA256.hash(data: material).prefix(16))
        // Shaped as a version-5-style UUID, like the ids LiteLLM generates.
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String($0, radix: 16).leftPadded(2) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// A keyed digest of everything the entry says (secrets included), to notice when the file
    /// changed. Keyed by the database's pepper so that it reveals nothing about a secret.
    static func hash(_ model: LiteLLMConfig.Model, pepper: String) -> String {
        let material = JSONWriter.bytes([
            "model_name": .string(model.modelName), "litellm_params": .object(model.litellmParams),
            "model_info": .object(model.modelInfo),
        ])
        let code = HMAC<SHA256>.authenticationCode(for: material, using: SymmetricKey(data: Array(pepper.utf8)))
        return code.map { String($0, radix: 16).leftPadded(2) }.joined()
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
