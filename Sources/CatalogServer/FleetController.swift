import Catalog
import CatalogStore
import Foundation
import Hummingbird

/// `GET /fleet` (admins): every catalog replica that reported in the last 10 s with the seq it
/// has applied, and every change-stream subscriber with the seq last sent to it, each with its
/// lag behind the log (in seqs).
struct FleetController: Sendable {
    let fleet: FleetRepository
    let feed: ChangeFeed
    /// A replica silent for longer is not listed (it reports every 2 s).
    static let liveWithin: Duration = .seconds(10)

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/fleet", use: list)
    }

    @Sendable func list(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard AccessPolicy.mayReadFleet(principal) else { throw CatalogError.forbidden(message: "only admins may list the fleet") }
        let highest = try await feed.positionBounds().highest
        let members = try await fleet.members(within: Self.liveWithin)
        let formatter = ISO8601DateFormatter()
        var subscribers: [JSONValue] = []
        let replicas: [JSONValue] = members.map { member in
            for case .object(var subscriber) in member.subscribers {
                let delivered = Int64(subscriber["delivered_seq"]?.intValue ?? 0)
                subscriber["replica_id"] = .string(member.replicaID)
                subscriber["lag"] = .int(Int(max(0, highest - delivered)))
                subscribers.append(.object(subscriber))
            }
            return [
                "replica_id": .string(member.replicaID), "host": .string(member.host), "pid": .int(member.pid),
                "started_at": .string(formatter.string(from: member.startedAt)),
                "seen_at": .string(formatter.string(from: member.seenAt)),
                "applied_seq": .int(Int(member.appliedSeq)), "lag": .int(Int(max(0, highest - member.appliedSeq))),
                "subscribers": .int(member.subscribers.count),
            ]
        }
        return JSONBody.response(["seq": .int(Int(highest)), "replicas": .array(replicas), "subscribers": .array(subscribers)])
    }
}
