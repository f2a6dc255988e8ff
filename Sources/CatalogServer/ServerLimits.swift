import Foundation

/// The limits that keep slow, idle or greedy clients from holding the server's connections and
/// descriptors: one place for every timeout and cap of the HTTP layer (`serve` fills it from its
/// flags; the README's "Limits and timeouts" lists the defaults).
///
/// - A connection with no request under way is closed after `idleTimeout`.
/// - A request head must arrive whole within `headerTimeout` of its first byte, and its body
///   within `bodyTimeout` of its head; otherwise the server answers 408 and closes.
/// - A `Content-Length` above `ServerLimits.maxBodySize` is refused with 413 before any byte of the body is
///   read (no `100 Continue` is sent for it).
/// - Up to `maxConnections` connections are served; `probeConnections` more are accepted but
///   answer only the health probes and `/metrics` (anything else gets 503 and is closed), so that
///   a saturated replica says so to its load balancer instead of hanging. Beyond both, new
///   connections wait in the kernel's accept queue until one closes.
public struct ServerLimits: Sendable, Equatable {
    public var idleTimeout: Duration
    public var headerTimeout: Duration
    public var bodyTimeout: Duration
    public var maxConnections: Int
    public var probeConnections: Int
    /// The largest request body (1 MiB): every JSON route reads at most this much.
    public static let maxBodySize = 1 << 20
    /// The longest header line, and the longest request line (a longer URL is a 414).
    public var maxHeaderFieldSize: Int
    /// All of a request head's bytes together (a larger head is a 431).
    public var maxHeaderListSize: Int

    public init(
        idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        maxConnections: Int = ServerLimits.defaultMaxConnections(), probeConnections: Int = 16,
        maxHeaderFieldSize: Int = 16 * 1024, maxHeaderListSize: Int = 32 * 1024
    ) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
        self.probeConnections = probeConnections
        self.maxHeaderFieldSize = maxHeaderFieldSize
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Descriptors kept back from client connections: the database pool, the listener, the event
    /// loops' own descriptors, log and resource files.
    public static let reservedDescriptors = 64

    /// 1,000, or less when the process's descriptor limit would not hold that many connections
    /// and the reserve: running out of descriptors makes `accept` fail for every client, health
    /// probes included, which is what the cap exists to prevent.
    public static func defaultMaxConnections(probeConnections: Int = 16) -> Int {
        var limit = rlimit()
        #if os(Linux)
        let read = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        #else
        let read = getrlimit(RLIMIT_NOFILE, &limit)
        #endif
        // RLIM_INFINITY (all bits set) clamps to Int.max, and min() takes 1,000.
        guard read == 0 else { return 1000 }
        let available = Int(clamping: limit.rlim_cur) - reservedDescriptors - probeConnections
        return max(8, min(1000, available))
    }
}
