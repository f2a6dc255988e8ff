/// How much of the catalog a model, and a tenant's models together, may take: every replica holds
/// every model in memory, so one tenant's growth is every tenant's cost.
///
/// A model's size is the bytes of its stored `litellm_params` and `model_info` as PostgreSQL
/// writes them as text (`octet_length(litellm_params::text) + octet_length(model_info::text)`,
/// secrets sealed apart): one measure, taken by the store in the write's transaction.
///
/// Who is limited is decided here, once (`enforcement(for:)`):
/// - every API write is held to `maxModelBytes` (413);
/// - a tenant admin's creates and changes are held to its tenant's `maxModelsPerTenant` and
///   `maxBytesPerTenant` (429); admins, the master key and config files are the operator, who
///   sets the limits, and are not.
public struct ModelQuota: Sendable, Equatable {
    /// The largest model: about 100 times the largest deployment of the LiteLLM reference configs
    /// (under 300 bytes of litellm_params, under 300 of stored model_info).
    public var maxModelBytes: Int
    public var maxModelsPerTenant: Int
    public var maxBytesPerTenant: Int

    public init(maxModelBytes: Int = 32 * 1024, maxModelsPerTenant: Int = 1_000, maxBytesPerTenant: Int = 4 * 1024 * 1024) {
        self.maxModelBytes = maxModelBytes
        self.maxModelsPerTenant = maxModelsPerTenant
        self.maxBytesPerTenant = maxBytesPerTenant
    }

    /// A tenant's models and their bytes, the write under way included.
    public struct Usage: Sendable, Equatable {
        public var models: Int
        public var bytes: Int

        public init(models: Int, bytes: Int) {
            self.models = models
            self.bytes = bytes
        }
    }

    /// The limits one write is held to.
    public struct Enforcement: Sendable, Equatable {
        public var maxModelBytes: Int?
        /// The per-tenant limits, when the writer is held to them.
        public var tenantModels: Int?
        public var tenantBytes: Int?

        /// No limit at all (config files, tests of other rules).
        public static let none = Enforcement(maxModelBytes: nil, tenantLimits: nil)

        public init(maxModelBytes: Int?, tenantLimits: (models: Int, bytes: Int)?) {
            self.maxModelBytes = maxModelBytes
            self.tenantModels = tenantLimits?.models
            self.tenantBytes = tenantLimits?.bytes
        }

        /// Whether the store must count the tenant's usage (and serialise its writes to do so).
        public var countsTenant: Bool { tenantModels != nil || tenantBytes != nil }

        /// Throws `tooLarge` when one model's stored form is over the limit, unless it was at least
        /// as large before this write (`before`: its bytes then; nil for a new model): a model
        /// left over a lowered limit may still be shrunk or edited without growing.
        public func check(modelBytes: Int, before: Int? = nil) throws {
            if let maxModelBytes, modelBytes > maxModelBytes, modelBytes > before ?? 0 {
                throw CatalogError.tooLarge(message:
                    "the model's litellm_params and model_info take \(modelBytes) bytes; the limit is \(maxModelBytes)")
            }
        }

        /// Throws `quotaExceeded` when the tenant, the write included, is over a limit that the
        /// write makes it go further past: `before` is the tenant's usage without this write (nil:
        /// the write adds the model to the tenant). So a tenant over a limit (an admin lowered it, or
        /// placed models there) can still shrink, change in place without growing, and delete.
        public func check(usage: Usage, before: Usage? = nil, tenant: String) throws {
            if let models = tenantModels, usage.models > models, usage.models > before?.models ?? 0 {
                throw CatalogError.quotaExceeded(message:
                    "team '\(tenant)' has reached its limit of \(models) models; delete one or ask an admin")
            }
            if let bytes = tenantBytes, usage.bytes > bytes, usage.bytes > before?.bytes ?? 0 {
                throw CatalogError.quotaExceeded(message:
                    "team '\(tenant)' would hold \(usage.bytes) bytes of model parameters; its limit is \(bytes)")
            }
        }
    }

    /// The limits `principal`'s API writes are held to.
    public func enforcement(for principal: Principal) -> Enforcement {
        Enforcement(maxModelBytes: maxModelBytes,
                    tenantLimits: principal.role == .admin ? nil : (maxModelsPerTenant, maxBytesPerTenant))
    }
}
