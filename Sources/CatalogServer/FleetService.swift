import CatalogStore
import Foundation
import Logging
import ServiceLifecycle

/// Reports this replica and its stream subscribers to `fleet_members` every `interval`, so that
/// `/fleet` on any replica lists the whole fleet; leaves the table at graceful shutdown.
struct FleetService: Service {
    let fleet: FleetRepository
    let store: SnapshotStore
    let subscribers: StreamSubscribers
    let identity: FleetIdentity
    let logger: Logger
    var interval: Duration = .seconds(2)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await fleet.report(FleetMember(
                        replicaID: identity.replicaID, host: identity.host, pid: identity.pid, startedAt: identity.startedAt,
                        seenAt: Date(), appliedSeq: store.appliedPosition,
                        subscribers: subscribers.all.map(StreamSubscribers.json)))
                } catch {
                    logger.debug("fleet report failed; the next one retries", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
        try? await fleet.leave(replicaID: identity.replicaID)
    }
}

/// Who this process is in the fleet.
struct FleetIdentity: Sendable {
    var replicaID = UUID().uuidString.lowercased()
    var host = ProcessInfo.processInfo.hostName
    var pid = Int(ProcessInfo.processInfo.processIdentifier)
    var startedAt = Date()
}
