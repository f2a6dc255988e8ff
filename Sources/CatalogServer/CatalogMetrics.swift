import CatalogStore
import CoreMetrics
import Prometheus

/// The service's metrics, in one Prometheus registry of its own (not the process-wide
/// `MetricsSystem`, so that several applications in one process, as in the tests, never share or
/// clash). Code records through the swift-metrics API with this registry's factory; GET /metrics
/// writes the registry in Prometheus's text format.
///
/// Events are counted when they happen (requests, listener reconnects, notifications); state
/// (snapshot seq and lag, pool connections) is sampled when /metrics is scraped, so a scrape
/// never waits on the database.
public final class CatalogMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    /// Request durations from 0.5 ms (a cached read) to 10 s (a pool timeout is 10 s by default).
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
    }

    /// One finished HTTP request. `route` is the matched route template (never a raw path, so that
    /// the label's values stay few).
    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        CoreMetrics.Counter(label: "http_requests_total",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory)
            .increment()
        CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", method), ("route", route)],
              factory: factory)
            .recordNanoseconds(Self.nanoseconds(duration))
    }

    func listenerReconnected() {
        CoreMetrics.Counter(label: "catalog_listener_reconnects_total", factory: factory).increment()
    }

    func notificationReceived() {
        CoreMetrics.Counter(label: "catalog_listener_notifications_total", factory: factory).increment()
    }

    /// One routing view given to a gateway key (a snapshot, a page of changes or a stream event
    /// with secrets opened), holding `models` deployments. `keyID` is the key's token
    /// (`APIKeyRecord.token`), never its text: the label shows which key opened secrets, and how
    /// often, and leaks nothing.
    func routingViewOpened(keyID: String, models: Int) {
        registry.makeCounter(descriptor: Self.routingViewsOpened, labels: [("key", keyID)]).increment()
        registry.makeCounter(descriptor: Self.routingViewModels, labels: [("key", keyID)]).increment(by: Int64(max(0, models)))
    }

    // Described (a HELP line each): a scrape should say what these counters hold. Computed: the
    // descriptor type is not Sendable.
    static var routingViewsOpened: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "catalog", metricName: "routing_view_opened", unitName: "total",
                             helpText: "Routing views (secrets opened) given to each gateway key")
    }
    static var routingViewModels: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "catalog", metricName: "routing_view_models", unitName: "total",
                             helpText: "Deployments whose secrets were opened for each gateway key")
    }

    /// The exposition, after sampling the replica's and the pool's state.
    func exposition(database: CatalogDatabase, cache: ReplicaCache?) async -> [UInt8] {
        let statistics = await database.poolStatistics()
        gauge("catalog_pool_connections_in_use", statistics.inUse)
        gauge("catalog_pool_callers_waiting", statistics.waiting)
        gauge("catalog_pool_connections_max", statistics.maxConnections)
        gauge("catalog_pool_connections_replaced", statistics.replacedConnections)
        if let cache {
            let snapshot = cache.store.snapshot
            let status = cache.listener.status
            gauge("catalog_snapshot_seq", Int(snapshot.seq))
            gauge("catalog_snapshot_deployments", snapshot.deployments.count)
            gauge("catalog_listener_connected", status.connected ? 1 : 0)
            if let databaseSeq = status.databaseSeq {
                gauge("catalog_database_seq", Int(databaseSeq))
                // The database's seq is the safety poll's last reading, which a notification can
                // overtake: a snapshot ahead of it is not behind.
                gauge("catalog_snapshot_lag_changes", max(0, Int(databaseSeq - snapshot.seq)))
            }
            let lag = await cache.store.lag()
            CoreMetrics.Gauge(label: "catalog_replica_lag_seconds", factory: factory).record(Self.seconds(lag.seconds()))
            gauge("catalog_replica_open_entries", lag.openEntries)
            gauge("catalog_replica_current", await cache.isCurrent() ? 1 : 0)
            if let last = lag.lastCatchUp {
                let (seconds, attoseconds) = (ContinuousClock.now - last).components
                CoreMetrics.Gauge(label: "catalog_seconds_since_catch_up", factory: factory)
                    .record(Double(seconds) + Double(attoseconds) / 1e18)
            }
        }
        return registry.emitToBuffer()
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private func gauge(_ label: String, _ value: Int) {
        CoreMetrics.Gauge(label: label, factory: factory).record(value)
    }
}
