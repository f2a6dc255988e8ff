import Catalog
import Postgres

/// The one table from database failures to domain errors, modelled on PostgREST's `mapSQLtoHTTP`:
/// SQLSTATE classes first, then the constraint a violation names. Everything above the store sees
/// `CatalogError`, never `PostgresError`.
///
/// | SQLSTATE                          | domain error (HTTP)  |
/// |-----------------------------------|----------------------|
/// | 23505 unique, 23503 foreign key, 23P01 exclusion | `conflict` (409) |
/// | other class 23 (check, not null)  | `invalid` (400)      |
/// | class 22 (data exception)         | `invalid` (400)      |
/// | 40001, 40P01 (serialization, deadlock) | `conflict` (409) |
/// | class 08, 53, 57P01–57P03, lost connections, pool timeouts | `unavailable` (503) |
/// | anything else                     | `internal` (500, detail only in the log) |
///
/// Messages come from this table, never from PostgreSQL: its `detail` echoes row values.
enum StoreErrors {
    /// What a violated constraint means to an API caller: the field to name, and a message.
    static let constraints: [String: (field: String?, message: String)] = [
        "models_pkey": ("model_info.id", "a model with this model_info.id already exists"),
        "models_tenant_id_fkey": ("model_info.team_id", "model_info.team_id names no existing team"),
        "tenants_pkey": ("team_id", "a team with this team_id already exists"),
        "api_keys_tenant_id_fkey": ("team_id", "team_id names no existing team"),
        "api_keys_key_hash_key": (nil, "this key already exists"),
        "credentials_pkey": ("credential_name", "a credential with this credential_name already exists"),
        "credentials_tenant_id_fkey": ("credential_info.team_id", "credential_info.team_id names no existing team"),
    ]

    /// The domain error for any error thrown below the store; domain errors pass through.
    static func domainError(_ error: any Error) -> any Error {
        guard let error = error as? PostgresError else { return error }
        return domainError(error)
    }

    static func domainError(_ error: PostgresError) -> CatalogError {
        let known = error.constraint.flatMap { constraints[$0] }
        let state = error.sqlState
        if state == .uniqueViolation || state == .foreignKeyViolation || state == SQLState("23P01") {
            return .conflict(field: known?.field ?? nil,
                             message: known?.message ?? "the change conflicts with the catalog's current state")
        }
        if SQLState.integrityConstraintViolation ~= state {
            return .invalid(field: known?.field ?? nil, message: known?.message ?? "the change breaks a rule of the catalog's schema")
        }
        if SQLState.dataException ~= state {
            return .invalid(field: nil, message: "the request holds a value the catalog cannot store (such as a NUL character)")
        }
        if state == .serializationFailure || state == .deadlockDetected {
            return .conflict(field: nil, message: "a concurrent change got there first, retry")
        }
        // isConnectionFailure covers class 08 and 57P01–57P03 (the server shutting down or starting).
        if error.kind == .poolTimeout || error.isConnectionFailure || SQLState.insufficientResources ~= error.sqlState {
            return .unavailable(message: "the catalog database is unavailable, retry later")
        }
        // PostgresError's description withholds parameter values and row details: safe to log.
        return .internal(message: "database error: \(error)")
    }
}

/// The pool as the repositories use it: the same calls, with every failure mapped once by
/// `StoreErrors`.
struct StorePool: Sendable {
    let pool: PostgresConnectionPool

    init(_ pool: PostgresConnectionPool) {
        self.pool = pool
    }

    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        do { return try await pool.withConnection(body) } catch { throw StoreErrors.domainError(error) }
    }

    /// Runs `body` in a transaction and, after COMMIT, records the position its changes took in
    /// the request's `WriteReceipt` (when there is one, and when the transaction wrote at all).
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let receipt = WriteReceipt.current
        do {
            let (value, position) = try await pool.withConnection { connection in
                var xid: Int64?
                let value = try connection.transaction { connection in
                    let value = try body(connection)
                    if receipt != nil {
                        xid = try connection.query("SELECT pg_current_xact_id_if_assigned()::text::bigint AS xid")[0]
                            .decode(Int64?.self, "xid")
                    }
                    return value
                }
                // Positions are given at COMMIT (0010_change_positions.sql): read them after it.
                let position = try xid.flatMap { xid in
                    try connection.query("SELECT max(pos) AS pos FROM changes WHERE xid = \(String(xid))::xid8")[0]
                        .decode(Int64?.self, "pos")
                }
                return (value, position)
            }
            if let position { receipt?.record(position) }
            return value
        } catch { throw StoreErrors.domainError(error) }
    }
}
