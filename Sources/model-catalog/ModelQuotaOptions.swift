import ArgumentParser
import Catalog

/// `serve`'s flags for the size and per-tenant limits of API writes (`ModelQuota`; the README's
/// "Limits and timeouts").
struct ModelQuotaOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Largest model (stored litellm_params plus model_info), in bytes; beyond it 413.", valueName: "bytes"))
    var maxModelBytes: Int = ModelQuota().maxModelBytes

    @Option(name: .long, help: ArgumentHelp("Most models a tenant admin's team may hold; beyond it 429.", valueName: "count"))
    var tenantMaxModels: Int = ModelQuota().maxModelsPerTenant

    @Option(name: .long, help: ArgumentHelp("Most bytes of models a tenant admin's team may hold; beyond it 429.", valueName: "bytes"))
    var tenantMaxBytes: Int = ModelQuota().maxBytesPerTenant

    func validate() throws {
        for (flag, value) in [("--max-model-bytes", maxModelBytes), ("--tenant-max-models", tenantMaxModels), ("--tenant-max-bytes", tenantMaxBytes)] {
            guard value >= 1 else { throw ValidationError("\(flag) must be at least 1") }
        }
    }

    var quota: ModelQuota {
        ModelQuota(maxModelBytes: maxModelBytes, maxModelsPerTenant: tenantMaxModels, maxBytesPerTenant: tenantMaxBytes)
    }
}
