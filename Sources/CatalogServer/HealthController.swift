import Hummingbird
import Postgres

/// LiteLLM's health probes: liveliness (the process answers) and readiness (the database answers).
struct HealthController: Sendable {
    let pool: PostgresConnectionPool

    /// The readiness body, in the spirit of LiteLLM's `/health/readiness`.
    struct Readiness: ResponseEncodable {
        var status: String
        var db: String
        var schema_version: String?
    }

    func addRoutes(to router: Router<CatalogRequestContext>) {
        router.get("/health/liveliness", use: liveliness)
        router.get("/health/liveness", use: liveliness)
        router.get("/health/readiness") { _, _ -> Response in
            do {
                let version = try await pool.withConnection { connection in
                    try connection.query("SELECT max(version) AS version FROM schema_migrations")
                        .first?.decode(String?.self, "version")
                }
                return try JSONResponse.encode(Readiness(status: "healthy", db: "connected", schema_version: version))
            } catch {
                // The cause goes to the log line of the request, not to an unauthenticated caller.
                return try JSONResponse.encode(
                    Readiness(status: "unhealthy", db: "disconnected", schema_version: nil), status: .serviceUnavailable)
            }
        }
    }

    /// LiteLLM answers the JSON string "I'm alive!".
    @Sendable func liveliness(_ request: Request, context: some RequestContext) async throws -> Response {
        try JSONResponse.encode("I'm alive!")
    }
}
