import Catalog
import NIOConcurrencyHelpers

/// Deployments as `/model/info` shows them (`DeploymentView.rendered`), kept per deployment so
/// that a read after a write renders only what the write changed.
///
/// The response cache keeps whole bodies, and a write drops the bodies of every scope that sees
/// the model it changed: without this, a tenant's next read enriched and encoded every one of its
/// deployments again (about 0.35 ms each: LiteLLM's full `model_info` key set). An entry is valid
/// for the very deployment it was made from (compared whole, not by version: a plain SQL write
/// shows too) and the cost-map revision it was priced with. Bounded by bytes; the oldest entries
/// go first.
final class RenderedViews: Sendable {
    private struct Entry {
        let deployment: Deployment
        let costMapRevision: UInt64
        let view: JSONValue
        let bytes: Int
        /// Which insertion this is, to tell a current entry from a replaced one in `order`.
        let stamp: UInt64
    }

    private struct State {
        var entries: [ExactID: Entry] = [:]
        /// Insertions, oldest first, from `head` on.
        var order: [(id: ExactID, stamp: UInt64)] = []
        var head = 0
        var bytes = 0
        var stamp: UInt64 = 0
    }

    /// Bytes of views kept at most.
    let maxBytes: Int
    /// Lists longer than this are rendered without keeping them: a whole catalog of an admin's
    /// read would push out every tenant's views, and it is rendered rarely.
    let maxList: Int
    private let state = NIOLockedValueBox(State())

    init(maxBytes: Int = 64 << 20, maxList: Int = 5_000) {
        self.maxBytes = maxBytes
        self.maxList = maxList
    }

    /// Views kept now, and their bytes (for tests and metrics).
    var usage: (entries: Int, bytes: Int) { state.withLockedValue { ($0.entries.count, $0.bytes) } }

    /// One deployment as shown with `costMap` (revision `revision`): a change-stream event.
    func view(_ deployment: Deployment, costMap: CostMap, revision: UInt64) -> JSONValue {
        views([deployment], costMap: costMap, revision: revision)[0]
    }

    /// `deployments` as shown with `costMap` (revision `revision`), in order.
    func views(_ deployments: [Deployment], costMap: CostMap, revision: UInt64) -> [JSONValue] {
        guard deployments.count <= maxList else { return deployments.map { DeploymentView.rendered($0, costMap: costMap) } }
        var views = [JSONValue?](repeating: nil, count: deployments.count)
        var misses: [Int] = []
        state.withLockedValue { state in
            for (position, deployment) in deployments.enumerated() {
                if let entry = state.entries[ExactID(deployment.id)], entry.costMapRevision == revision, entry.deployment == deployment {
                    views[position] = entry.view
                } else {
                    misses.append(position)
                }
            }
        }
        guard !misses.isEmpty else { return views.map { $0! } }
        // Rendered outside the lock: other reads go on meanwhile.
        var made: [(Deployment, JSONValue, Int)] = []
        for position in misses {
            let view = DeploymentView.rendered(deployments[position], costMap: costMap)
            views[position] = view
            if case .encoded(let written) = view { made.append((deployments[position], view, written.bytes.count)) }
        }
        state.withLockedValue { state in
            for (deployment, view, bytes) in made where bytes <= maxBytes {
                state.stamp += 1
                let id = ExactID(deployment.id)
                if let old = state.entries.updateValue(
                    Entry(deployment: deployment, costMapRevision: revision, view: view, bytes: bytes, stamp: state.stamp), forKey: id) {
                    state.bytes -= old.bytes
                }
                state.bytes += bytes
                state.order.append((id, state.stamp))
            }
            while state.bytes > maxBytes, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if let entry = state.entries[oldest.id], entry.stamp == oldest.stamp {
                    state.entries[oldest.id] = nil
                    state.bytes -= entry.bytes
                }
            }
            // Replaced entries leave stale places in `order`: compact once they are most of it.
            if state.head > 1_024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if state.order.count > 4 * max(state.entries.count, 1_024) {
                state.order = state.order[state.head...].filter { state.entries[$0.id]?.stamp == $0.stamp }
                state.head = 0
            }
        }
        return views.map { $0! }
    }
}
