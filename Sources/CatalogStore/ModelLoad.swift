import Catalog
import Foundation
import Postgres

/// Reads every model row of a snapshot load, in catalog order and held for display: in ordinal
/// ranges on several connections at once when the catalog is large, each importing the loading
/// transaction's snapshot (`pg_export_snapshot`), so that every range sees exactly the state the
/// load saw.
///
/// Why: at 1,000,000 deployments one query leaves PostgreSQL's output (jsonb to text) and the
/// decoding of rows to run one after the other, on one core each. Ranges on `workers`
/// connections overlap the two, and decode on every core. Each worker holds a row for display as
/// soon as it is decoded, so the whole catalog is never in memory twice (stored and held), and
/// indexes its range (`DeploymentIndex.Part`) while the others still read.
enum ModelLoad {
    /// Below this many ordinals one query is cheaper than opening connections.
    static let parallelFrom: Int64 = 50_000
    /// Connections (and threads) of a parallel load: more than cores, since each waits on its
    /// server process half of the time.
    static var workers: Int { max(2, ProcessInfo.processInfo.activeProcessorCount * 2) }

    /// The rows, held for display and indexed in parts (one per range), the parts in catalog
    /// order; `connection` is inside a REPEATABLE READ transaction whose snapshot the load
    /// reflects. `conninfo` opens the extra connections.
    static func all(on connection: PostgresConnection, conninfo: String) throws -> [DeploymentIndex.Part] {
        let bounds = try connection.query("SELECT min(ordinal) AS low, max(ordinal) AS high FROM models")[0]
        guard let low = try bounds.decode(Int64?.self, "low"), let high = try bounds.decode(Int64?.self, "high") else { return [] }
        guard high - low >= parallelFrom else {
            let rows = try rows(from: low, to: high + 1, on: connection)
            return CatalogSnapshot.Placed.held(try rows.map(ModelRepository.deployment), ordinals: try rows.map(ordinal))
        }
        let snapshot = try connection.query("SELECT pg_export_snapshot() AS id")[0].decode(String.self, "id")
        let workers = Self.workers
        let span = high - low + 1
        let parts = Parts(count: workers)
        let group = DispatchGroup()
        for worker in 0..<workers {
            let from = low + span * Int64(worker) / Int64(workers)
            let to = low + span * Int64(worker + 1) / Int64(workers)
            group.enter()
            // Threads of their own: each blocks on its connection, and a thread pool sized to
            // the cores would run only as many at once.
            Thread {
                parts.set(worker, Result { try range(from: from, to: to, snapshot: snapshot, conninfo: conninfo) })
                group.leave()
            }.start()
        }
        group.wait()
        return try parts.all()
    }

    /// The rows with `from <= ordinal < to`, on a connection of their own in the snapshot `snapshot`.
    private static func range(from: Int64, to: Int64, snapshot: String, conninfo: String) throws -> DeploymentIndex.Part {
        let connection = try PostgresConnection(conninfo: conninfo, applicationName: "model-catalog snapshot load")
        defer { connection.close() }
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try connection.importSnapshot(snapshot)
        defer { try? connection.execute("COMMIT") }
        let placed = try rows(from: from, to: to, on: connection).map { row in
            CatalogSnapshot.Placed(ordinal: try ordinal(row), deployment: try ModelRepository.deployment(row))
        }
        return DeploymentIndex.Part(sorted: placed)
    }

    /// The rows with `from <= ordinal < to`.
    private static func rows(from: Int64, to: Int64, on connection: PostgresConnection) throws -> PostgresRows {
        try connection.query("""
            SELECT ordinal, id, tenant_id, model_name, litellm_params, model_info, version, source,
                   created_at, updated_at, created_by, updated_by
            FROM models WHERE ordinal >= \(from) AND ordinal < \(to) ORDER BY ordinal
            """)
    }

    private static func ordinal(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self, at: 0) }

    /// Each worker's result, written once.
    private final class Parts: @unchecked Sendable {
        // Guarded by `lock`.
        private var results: [Result<DeploymentIndex.Part, Error>?]
        private let lock = NSLock()

        init(count: Int) { results = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ result: Result<DeploymentIndex.Part, Error>) {
            lock.withLock { results[index] = result }
        }

        func all() throws -> [DeploymentIndex.Part] {
            try lock.withLock { try results.map { try $0!.get() } }
        }
    }
}
