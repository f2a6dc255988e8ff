/// What one new generation of a replica's snapshot changed, as cached reads see it: the response
/// cache keeps every answer the change cannot have touched (`AccessPolicy.readScope(_:isAffectedBy:)`),
/// so a write to one tenant's model leaves every other tenant's cached reads in place.
public enum ReadInvalidation: Sendable, Hashable {
    /// Anything may read differently: the cost map, the router aliases or the keys changed, or the
    /// whole catalog was loaded again.
    case everything
    /// Only models changed, of these tenants (a nil element: shared models). A model that moved
    /// names both its tenants.
    case models(tenants: Set<ExactID?>)

    /// What `self` and then `next` changed together.
    public func merged(with next: ReadInvalidation) -> ReadInvalidation {
        switch (self, next) {
        case (.models(let a), .models(let b)): return .models(tenants: a.union(b))
        default: return .everything
        }
    }
}
