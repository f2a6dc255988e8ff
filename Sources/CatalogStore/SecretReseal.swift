import Catalog
import Logging
import Postgres

/// Seals what an older redaction rule (or a plain-SQL write) left in clear, once per version of
/// the rule (`Redaction.ruleVersion`): models' `litellm_params` and `model_info`, teams'
/// `metadata`, and the rows the change log keeps for `/model/history`. Runs at start, in
/// `CatalogDatabase.prepare`, in Swift because sealing needs the key and the rule is Swift's.
///
/// One transaction under an advisory lock, so that replicas starting together take turns and the
/// second finds the work done. Without a key nothing can be sealed: clear secrets are left as they
/// are (every read path still masks them), counted, and the pass runs again at the next start.
public enum SecretReseal {
    static let lockKey = 0x6D63_7365_616C_7631  // "mcsealv1"
    static let setting = "redaction_rule_version"
    static let historyPage = 500

    /// What one pass changed.
    public struct Outcome: Sendable, Equatable {
        /// Models and teams whose clear secrets were sealed.
        public var models = 0
        public var teams = 0
        /// Change-log rows whose copies of a model were masked.
        public var historyRows = 0
        /// Models and teams holding clear secrets that could not be sealed for want of a key.
        public var unsealed = 0
        /// False when the stored rule version was already current.
        public var ran = false

        public init() {}
    }

    @discardableResult
    public static func run(on pool: PostgresConnectionPool, key: SecretKey?, logger: Logger) async throws -> Outcome {
        let outcome = try await StorePool(pool).transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock(\(lockKey))")
            let done = try connection.query("SELECT value FROM service_settings WHERE name = \(setting)").first?.decode(String.self, "value")
            var outcome = Outcome()
            guard done != String(Redaction.ruleVersion) else { return outcome }
            outcome.ran = true
            try ModelRepository.setActor("secrets-reseal", on: connection)
            try resealModels(key: key, on: connection, outcome: &outcome)
            try resealTeams(key: key, on: connection, outcome: &outcome)
            try maskHistory(on: connection, outcome: &outcome)
            if outcome.unsealed == 0 {
                try connection.query("""
                    INSERT INTO service_settings (name, value) VALUES (\(setting), \(String(Redaction.ruleVersion)))
                    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                    """)
            }
            return outcome
        }
        if outcome.models + outcome.teams + outcome.historyRows > 0 {
            logger.notice("sealed secrets an older redaction rule stored in clear", metadata: [
                "models": "\(outcome.models)", "teams": "\(outcome.teams)", "history_rows": "\(outcome.historyRows)",
            ])
        }
        if outcome.unsealed > 0 {
            logger.warning("rows hold literal secrets in clear that cannot be sealed without a secret key (CATALOG_SECRET_KEY); reads mask them", metadata: [
                "rows": "\(outcome.unsealed)",
            ])
        }
        return outcome
    }

    static func resealModels(key: SecretKey?, on connection: PostgresConnection, outcome: inout Outcome) throws {
        let rows = try connection.query("""
            SELECT m.id, m.litellm_params, m.model_info, s.sealed
            FROM models m LEFT JOIN model_secrets s ON s.model_id = m.id
            ORDER BY m.ordinal FOR UPDATE OF m
            """)
        for row in rows {
            let id = try row.decode(String.self, "id")
            let params = try JSONColumns.object(row, "litellm_params")
            let info = try JSONColumns.object(row, "model_info")
            let newParams = SecretSplit.separate(params, document: .litellmParams)
            let newInfo = SecretSplit.separate(info, document: .modelInfo)
            // The stored form is the same: nothing in clear (sealed secrets are placeholders here).
            guard newParams.stored != params || newInfo.stored != info else { continue }
            guard let key else {
                outcome.unsealed += 1
                continue
            }
            var secrets = SecretSplit.Secrets()
            if let sealed = try row.decode(PostgresBytes?.self, "sealed") {
                // Sealed by another key: resealing would lose what it holds; leave the row.
                guard let opened = try? key.open(secrets: sealed.bytes, modelID: id) else {
                    outcome.unsealed += 1
                    continue
                }
                secrets = opened
            }
            // Placeholders hold no secret in `separate`: what was sealed stays, what was clear joins it.
            secrets.litellmParams.merge(newParams.secrets) { _, clear in clear }
            secrets.modelInfo.merge(newInfo.secrets) { _, clear in clear }
            try connection.query("""
                UPDATE models SET litellm_params = \(JSONColumns.bind(newParams.stored)), model_info = \(JSONColumns.bind(newInfo.stored))
                WHERE id = \(id)
                """)
            try ModelRepository.writeSecrets((try key.seal(secrets, modelID: id), key.id), modelID: id, on: connection)
            outcome.models += 1
        }
    }

    static func resealTeams(key: SecretKey?, on connection: PostgresConnection, outcome: inout Outcome) throws {
        let rows = try connection.query("""
            SELECT t.id, t.metadata, s.sealed
            FROM tenants t LEFT JOIN tenant_secrets s ON s.tenant_id = t.id
            ORDER BY t.id FOR UPDATE OF t
            """)
        for row in rows {
            let id = try row.decode(String.self, "id")
            let metadata = try JSONColumns.object(row, "metadata")
            let new = SecretSplit.separate(metadata, document: .metadata)
            guard new.stored != metadata else { continue }
            guard let key else {
                outcome.unsealed += 1
                continue
            }
            var secrets: [SecretSplit.Path: JSONValue] = [:]
            if let sealed = try row.decode(PostgresBytes?.self, "sealed") {
                guard let opened = try? key.open(metadata: sealed.bytes, tenantID: id) else {
                    outcome.unsealed += 1
                    continue
                }
                secrets = opened
            }
            secrets.merge(new.secrets) { _, clear in clear }
            try connection.query("UPDATE tenants SET metadata = \(JSONColumns.bind(new.stored)) WHERE id = \(id)")
            try TenantRepository.writeSecrets((try key.seal(metadata: secrets, tenantID: id), key.id), tenantID: id, on: connection)
            outcome.teams += 1
        }
    }

    /// The change log keeps each model row before and after a change: mask, in those copies, what
    /// the rule now calls secret. Nothing is sealed for them: history shows secrets masked anyway.
    static func maskHistory(on connection: PostgresConnection, outcome: inout Outcome) throws {
        var after: Int64 = 0
        while true {
            let rows = try connection.query("""
                SELECT seq, before, after FROM changes
                WHERE entity = 'model' AND seq > \(after) AND (before IS NOT NULL OR after IS NOT NULL)
                ORDER BY seq LIMIT \(historyPage)
                """)
            guard let last = rows.last else { return }
            after = try last.decode(Int64.self, "seq")
            for row in rows {
                let before = try row.decode(PostgresJSONBytes?.self, "before").map { try JSONParser.parse(bytes: $0.bytes) }
                let afterRow = try row.decode(PostgresJSONBytes?.self, "after").map { try JSONParser.parse(bytes: $0.bytes) }
                let maskedBefore = before.map(masked)
                let maskedAfter = afterRow.map(masked)
                guard maskedBefore != before || maskedAfter != afterRow else { continue }
                try connection.query("""
                    UPDATE changes SET before = \(maskedBefore.map { PostgresJSONB(JSONWriter.string($0)) }),
                                       after = \(maskedAfter.map { PostgresJSONB(JSONWriter.string($0)) })
                    WHERE seq = \(try row.decode(Int64.self, "seq"))
                    """)
                outcome.historyRows += 1
            }
        }
    }

    /// A model row as the change log copied it, with its documents in their stored form.
    static func masked(_ row: JSONValue) -> JSONValue {
        guard var members = row.objectValue else { return row }
        if let params = members["litellm_params"]?.objectValue {
            members["litellm_params"] = .object(SecretSplit.separate(params, document: .litellmParams).stored)
        }
        if let info = members["model_info"]?.objectValue {
            members["model_info"] = .object(SecretSplit.separate(info, document: .modelInfo).stored)
        }
        return .object(members)
    }
}
