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
    /// tenant's totals with it.
    static func check(modelID id: String, tenant: String?, _ enforcement: ModelQuota.Enforcement,
                      on connection: PostgresConnection) throws {
        guard enforcement.maxModelBytes != nil || enforcement.countsTenant else { return }
        let size = try connection.query("""
            SELECT octet_length(litellm_params::text) + octet_length(model_info::text) AS bytes FROM models WHERE id = \(id)
            """)
        if let bytes = try size.first?.decode(Int.self, "bytes") { try enforcement.check(modelBytes: bytes) }
        guard enforcement.countsTenant, let tenant else { return }
        let row = try connection.query("""
            SELECT count(*)::bigint AS models,
                   coalesce(sum(octet_length(litellm_params::text) + octet_length(model_info::text)), 0)::bigint AS bytes
            FROM models WHERE tenant_id = \(tenant)
            """)[0]
        try enforcement.check(usage: .init(models: try row.decode(Int.self, "models"), bytes: try row.decode(Int.self, "bytes")),
                              tenant: tenant)
    }
}
