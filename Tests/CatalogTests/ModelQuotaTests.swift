import Catalog
import Testing

/// Who `ModelQuota` holds to which limit, and the errors it answers.
@Suite("Model quota rule")
struct ModelQuotaRuleTests {
    let quota = ModelQuota(maxModelBytes: 100, maxModelsPerTenant: 2, maxBytesPerTenant: 300)

    @Test("Admins are held to the model size only; tenant keys to the tenant limits too")
    func whoIsLimited() {
        let admin = quota.enforcement(for: .master)
        #expect(admin.maxModelBytes == 100)
        #expect(!admin.countsTenant)
        let tenantAdmin = quota.enforcement(for: Principal(role: .tenantAdmin, tenantID: "t", actor: "k"))
        #expect(tenantAdmin.countsTenant)
        #expect(tenantAdmin.tenantModels == 2)
        #expect(tenantAdmin.tenantBytes == 300)
        #expect(!ModelQuota.Enforcement.none.countsTenant)
    }

    @Test("Over a limit already, a write that grows nothing passes; one that grows what is over fails")
    func overAlready() throws {
        let enforcement = quota.enforcement(for: Principal(role: .tenantAdmin, tenantID: "t", actor: "k"))
        try enforcement.check(modelBytes: 150, before: 200)
        try enforcement.check(modelBytes: 200, before: 200)
        #expect(throws: CatalogError.self) { try enforcement.check(modelBytes: 201, before: 200) }
        try enforcement.check(usage: .init(models: 5, bytes: 400), before: .init(models: 5, bytes: 500), tenant: "t")
        #expect(throws: CatalogError.self) { try enforcement.check(usage: .init(models: 5, bytes: 501), before: .init(models: 5, bytes: 500), tenant: "t") }
        // Without a before (the write adds the model to the tenant), over is over.
        #expect(throws: CatalogError.self) { try enforcement.check(usage: .init(models: 5, bytes: 10), tenant: "t") }
    }

    @Test("Over the size: tooLarge; over the count or the bytes: quotaExceeded; at the limit: allowed")
    func errors() throws {
        let enforcement = quota.enforcement(for: Principal(role: .tenantAdmin, tenantID: "t", actor: "k"))
        try enforcement.check(modelBytes: 100)
        #expect(throws: CatalogError.self) { try enforcement.check(modelBytes: 101) }
        try enforcement.check(usage: .init(models: 2, bytes: 300), tenant: "t")
        do {
            try enforcement.check(usage: .init(models: 3, bytes: 10), tenant: "t")
            Issue.record("no error over the count")
        } catch let error as CatalogError {
            guard case .quotaExceeded = error else { Issue.record("\(error)"); return }
        }
        do {
            try enforcement.check(usage: .init(models: 1, bytes: 301), tenant: "t")
            Issue.record("no error over the bytes")
        } catch let error as CatalogError {
            guard case .quotaExceeded = error else { Issue.record("\(error)"); return }
        }
    }
}
