import Catalog
import Postgres

/// The store's half of `ModelQuota`: it measures and counts, in the write's own transaction, and
/// the rule in `ModelQuota.Enforcement` decides. A refusal throws, which rolls the write back.
enum QuotaCounting {
    /// Holds the tenant's row until the transaction ends, so that two creates in one tenant count
    /// one after the other: without it, each would count the tenant's committed models without
    /// the other's, and both could pass the last free place. `FOR NO KEY UPDATE` does not block
    /// the foreign-key checks of other writers, only other counting writers.
    static func lockTenant(_ tenant: String?, _ enforcement: ModelQuota.Enforcement, on connection: PostgresConnection) throws {
        guard enforcement.countsTenant, let tenant else { return }
        try connection.query("SELECT 1 FROM tenants WHERE id = \(tenant) FOR NO KEY UPDATE")
    }

    /// Checks the stored model `id` (just written) and, when the writer is held to them, its
    /// tenant's totals with it. `previous`: the model's tenant and bytes before this write (nil for
    /// a create), so that a write that grows nothing is never refused (`ModelQuota.Enforcement`).
    static func check(modelID id: String, tenant: String?, previous: (tenant: String?, bytes: Int)? = nil,
                      _ enforcement: ModelQuota.Enforcement, on connection: PostgresConnection) throws {
        guard enforcement.maxModelBytes != nil || enforcement.countsTenant else { return }
        guard let bytes = try modelBytes(id, on: connection) else { return }
        try enforcement.check(modelBytes: bytes, before: previous?.bytes)
        guard enforcement.countsTenant, let tenant else { return }
        let row = try connection.query("""
            SELECT count(*)::bigint AS models,
                   coalesce(sum(octet_length(litellm_params::text) + octet_length(model_info::text)), 0)::bigint AS bytes
            FROM models WHERE tenant_id = \(tenant)
            """)[0]
        let usage = ModelQuota.Usage(models: try row.decode(Int.self, "models"), bytes: try row.decode(Int.self, "bytes"))
        // Without this write: the same model as it was, when it stays in the tenant.
        let before = previous.flatMap { previous in
            ExactID.same(previous.tenant, tenant) ? ModelQuota.Usage(models: usage.models, bytes: usage.bytes - bytes + previous.bytes) : nil
        }
        try enforcement.check(usage: usage, before: before, tenant: tenant)
    }

    /// The size `ModelQuota` measures of the stored model `id`; nil when there is no such row.
    static func modelBytes(_ id: String, on connection: PostgresConnection) throws -> Int? {
        try connection.query("""
            SELECT octet_length(litellm_params::text) + octet_length(model_info::text) AS bytes FROM models WHERE id = \(id)
            """).first?.decode(Int.self, "bytes")
    }
}
