import ArgumentParser
import CatalogServer

/// `serve`'s flags for the HTTP layer's timeouts and connection cap (`ServerLimits`; the README's
/// "Limits and timeouts").
struct ServerLimitOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Seconds a connection with no request under way stays open.", valueName: "seconds"))
    var idleTimeout: Int = 60

    @Option(name: .long, help: ArgumentHelp("Seconds a request head may take to arrive, from its first byte (then 408).", valueName: "seconds"))
    var headerTimeout: Int = 10

    @Option(name: .long, help: ArgumentHelp("Seconds a request body may take to arrive, from its head (then 408).", valueName: "seconds"))
    var bodyTimeout: Int = 30

    @Option(name: .long, help: ArgumentHelp(
        "Most client connections served (default 1000, less when the descriptor limit is lower); 16 more answer only /health/* and /metrics.",
        valueName: "count"))
    var maxConnections: Int?

    func validate() throws {
        for (flag, value) in [("--idle-timeout", idleTimeout), ("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout)] {
            guard value >= 1 else { throw ValidationError("\(flag) must be at least 1 second") }
        }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
    }

    var limits: ServerLimits {
        var limits = ServerLimits(idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout), bodyTimeout: .seconds(bodyTimeout))
        if let maxConnections { limits.maxConnections = maxConnections }
        return limits
    }
}
