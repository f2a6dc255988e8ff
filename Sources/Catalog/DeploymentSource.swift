/// Where `AccessPolicy` reads deployments from: a snapshot's index, or a plain list (a read
/// straight from the database, a test). The policy decides what a principal sees; a source only
/// hands over candidates, every deployment or those of some tenants.
public protocol DeploymentSource {
    /// Every deployment, in catalog order.
    var all: [Deployment] { get }
    /// The deployments of `tenants` (nil: the shared ones; byte-exact), in catalog order.
    func deployments(ofTenants tenants: [String?]) -> [Deployment]
}

extension DeploymentIndex: DeploymentSource {}

extension Array: DeploymentSource where Element == Deployment {
    public var all: [Deployment] { self }

    public func deployments(ofTenants tenants: [String?]) -> [Deployment] {
        filter { deployment in tenants.contains { ExactID.same(deployment.tenantID, $0) } }
    }
}
