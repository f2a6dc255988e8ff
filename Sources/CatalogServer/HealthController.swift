import Catalog
import CatalogStore
import Hummingbird

/// LiteLLM's health probes: liveliness (the process answers) and readiness (the catalog can be
/// served: with a replica cache, the listener is up or has not been down for long; without, the
/// database answers).
struct HealthController: Sendable {
    let database: CatalogDatabase
    let cache: ReplicaCache?

    func addRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/health/liveliness", use: liveliness)
        router.get("/health/liveness", use: liveliness)
        router.get("/health/readiness", use: readiness)
    }

    /// LiteLLM answers the JSON string "I'm alive!".
    @Sendable func liveliness(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        JSONBody.response("I'm alive!")
    }

    @Sendable func readiness(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let version = await database.schemaVersion()
        var body: [String: JSONValue] = [
            "db": version == nil ? "disconnected" : "connected",
            "schema_version": version.map(JSONValue.string) ?? .null,
        ]
        var ready = version != nil
        if let cache {
            let status = cache.listener.status
            let now = ContinuousClock.now
            let downFor = status.downSince.map { now - $0 }
            let lag = await cache.store.lag()
            let sinceCatchUp = lag.lastCatchUp.map { now - $0 }
            let behind = lag.seconds(at: now)
            body["snapshot_seq"] = .int(Int(cache.store.snapshot.seq))
            body["database_seq"] = status.databaseSeq.map { .int(Int($0)) } ?? .null
            body["listener"] = status.connected ? "connected" : "down"
            body["listener_down_seconds"] = downFor.map { .double(Self.seconds($0)) } ?? .null
            body["seconds_since_catch_up"] = sinceCatchUp.map { .double(Self.seconds($0)) } ?? .null
            body["listener_reconnects"] = .int(status.reconnects)
            body["lag_seconds"] = .double(Self.seconds(behind))
            body["open_entries"] = .int(lag.openEntries)
            // Reads are served from the snapshot while the database is away; readiness fails only
            // when the snapshot may have fallen behind for longer than the limit: the listener is
            // down, or a known change has waited (a catch-up that cannot finish).
            ready = cache.isCurrent(listener: status, lag: lag, at: now)
        }
        body["status"] = ready ? "healthy" : "unhealthy"
        return JSONBody.response(.object(body), status: ready ? .ok : .serviceUnavailable)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) + Double(attoseconds) / 1e18) * 1000).rounded() / 1000
    }
}
