import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Parameterised queries and typed rows")
struct QueryTests {
    static let hostileStrings = [
        "it's",
        "back\\slash \\x00 \\\\",
        "'); DROP TABLE models; --",
        "\"quoted\" $1 $$ $tag$ ::text",
        "unicode: héllo wörld — 模型 🚀 \u{200B}",
        "line\nbreak\ttab\r",
        "",
        "E'\\047'",
    ]

    @Test("hostile strings come back byte-identical", arguments: hostileStrings)
    func roundTrip(value: String) async throws {
        let pool = try await Self.pool()
        let rows = try await pool.query("SELECT \(value)::text AS echoed, length(\(value)) AS n")
        #expect(try rows[0].decode(String.self, "echoed") == value)
        #expect(Array(try rows[0].decode(String.self, "echoed").utf8) == Array(value.utf8))
        #expect(try rows[0].decode(Int.self, "n") == value.count)
        await pool.close()
    }

    @Test("a value stored and read back through a table is unchanged, and the table survives")
    func storedInjectionText() async throws {
        let pool = try await Self.pool()
        try await pool.query("CREATE TABLE models (name text)")
        for value in Self.hostileStrings {
            try await pool.query("INSERT INTO models (name) VALUES (\(value))")
        }
        let rows = try await pool.query("SELECT name FROM models")
        #expect(Set(try rows.map { try $0.decode(String.self, "name") }) == Set(Self.hostileStrings))
        let matched = try await pool.query("SELECT count(*) AS n FROM models WHERE name = \("'); DROP TABLE models; --")")
        #expect(try matched[0].decode(Int.self, "n") == 1)
        await pool.close()
    }

    @Test("NULL parameters and NULL columns")
    func nulls() async throws {
        let pool = try await Self.pool()
        let missing: String? = nil
        let present: String? = "x"
        let rows = try await pool.query("SELECT \(missing)::text AS a, \(present)::text AS b, NULL::int AS c")
        #expect(try rows[0].decode(String?.self, "a") == nil)
        #expect(try rows[0].decode(String?.self, "b") == "x")
        #expect(try rows[0].decode(Int?.self, "c") == nil)
        #expect(try rows[0].isNull("c"))
        #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, "c") }
        await pool.close()
    }

    @Test("typed decoding of integers, bool, double, uuid, timestamptz, jsonb and bytea")
    func types() async throws {
        let pool = try await Self.pool()
        let id = UUID()
        let now = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let bytes = PostgresBytes([0, 1, 2, 0xFF, 0x5C, 0x27])
        let json = PostgresJSONB(#"{"a": [1, "two", null], "b": {"c": true}}"#)
        let rows = try await pool.query("""
            SELECT \(42)::int4 AS i4, \(Int64.max) AS i8, \(true) AS flag, \(2.5e-6) AS price,
                   \(id) AS id, \(now) AS at, \(json) AS doc, \(bytes) AS raw, 'x'::text AS word
            """)
        let row = rows[0]
        #expect(try row.decode(Int32.self, "i4") == 42)
        #expect(try row.decode(Int64.self, "i8") == Int64.max)
        #expect(try row.decode(Bool.self, "flag") == true)
        #expect(try row.decode(Double.self, "price") == 2.5e-6)
        #expect(try row.decode(UUID.self, "id") == id)
        let at = try row.decode(Date.self, "at")
        #expect(abs(at.timeIntervalSince1970 - now.timeIntervalSince1970) < 0.000_001)
        #expect(try row.decode(PostgresJSONB.self, "doc").text == #"{"a": [1, "two", null], "b": {"c": true}}"#)
        #expect(try row.decode(PostgresBytes.self, "raw") == bytes)

        // A type mismatch names the column.
        do {
            _ = try row.decode(Int.self, "word")
            Issue.record("decoding text as Int should fail")
        } catch let error as PostgresError {
            #expect(error.kind == .decoding)
            #expect(error.column == "word")
            #expect(error.description.contains("word"))
        }
        await pool.close()
    }

    @Test("timestamptz text in any session time zone reads as PostgreSQL's own epoch", arguments: [
        "UTC", "Asia/Kolkata", "America/St_Johns", "Europe/Amsterdam", "Pacific/Kiritimati",
    ])
    func timestampsAcrossZones(zone: String) async throws {
        let pool = try await Self.pool()
        let stamps = [
            "1970-01-01 00:00:00+00", "1969-12-31 23:59:59.999999+00", "2000-02-29 12:00:00.5+00",
            "2024-02-29 23:59:59.000001+00", "1900-03-01 00:00:00+00", "1930-06-01 12:00:00+00",
            "2026-12-07 18:34:25.123456+00", "2100-12-31 23:59:59.98+00", "0001-01-01 00:00:00+00",
            "0044-03-15 12:00:00+00 BC",
        ]
        for stamp in stamps {
            let rows = try await pool.withConnection { connection in
                try connection.execute("BEGIN")
                defer { try? connection.execute("COMMIT") }
                try connection.query("SELECT set_config('TimeZone', \(zone), true)")
                return try connection.query("""
                    SELECT \(stamp)::timestamptz AS at, \(stamp)::timestamptz::text AS shown,
                           extract(epoch FROM \(stamp)::timestamptz)::float8 AS epoch
                    """)
            }
            let shown = try rows[0].decode(String.self, "shown")
            let epoch = try rows[0].decode(Double.self, "epoch")
            let at = try rows[0].decode(Date.self, "at")
            #expect(abs(at.timeIntervalSince1970 - epoch) < 0.000_001, "\(shown) in \(zone)")
        }
        await pool.close()
    }

    @Test("a unique violation surfaces SQLSTATE 23505 and the constraint, and no parameter value")
    func uniqueViolation() async throws {
        let pool = try await Self.pool()
        try await pool.query("CREATE TABLE keys (secret text CONSTRAINT keys_secret_key UNIQUE)")
        let secret = "sk-very-secret-value"
        try await pool.query("INSERT INTO keys VALUES (\(secret))")
        do {
            try await pool.query("INSERT INTO keys VALUES (\(secret))")
            Issue.record("the second insert should fail")
        } catch let error as PostgresError {
            #expect(error.sqlState == .uniqueViolation)
            #expect(SQLState.integrityConstraintViolation ~= error.sqlState)
            #expect(error.constraint == "keys_secret_key")
            #expect(!error.description.contains(secret))
            #expect(!"\(error)".contains(secret))
        }
        await pool.close()
    }

    @Test("a data exception's description withholds the input it quotes")
    func dataExceptionWithheld() async throws {
        let pool = try await Self.pool()
        let secret = "sk-not-a-number"
        do {
            try await pool.query("SELECT \(secret)::int AS n")
            Issue.record("the cast should fail")
        } catch let error as PostgresError {
            #expect(SQLState.dataException ~= error.sqlState)
            #expect(error.message.contains(secret))  // the server's own message quotes it…
            #expect(!error.description.contains(secret))  // …the description does not.
        }
        await pool.close()
    }

    @Test("a transaction commits on success and rolls back on a thrown error")
    func transactions() async throws {
        let pool = try await Self.pool()
        try await pool.query("CREATE TABLE t (n int)")
        try await pool.transaction { connection in
            try connection.query("INSERT INTO t VALUES (\(Int32(1)))")
        }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await pool.transaction { connection in
                try connection.query("INSERT INTO t VALUES (\(Int32(2)))")
                throw Boom()
            }
        }
        // A server error inside the transaction rolls back too, and the connection stays usable.
        await #expect(throws: PostgresError.self) {
            try await pool.transaction { connection in
                try connection.query("INSERT INTO t VALUES (\(Int32(3)))")
                try connection.query("INSERT INTO t VALUES (\("not a number"))")
            }
        }
        let rows = try await pool.query("SELECT n FROM t ORDER BY n")
        #expect(try rows.map { try $0.decode(Int.self, "n") } == [1])
        await pool.close()
    }

    @Test("identifiers are quoted by libpq")
    func identifiers() async throws {
        let pool = try await Self.pool()
        let name = #"odd "table"; DROP TABLE x; --"#
        try await pool.query("CREATE TABLE \(identifier: name) (n int)")
        let rows = try await pool.query("SELECT count(*) AS n FROM pg_class WHERE relname = \(name)")
        #expect(try rows[0].decode(Int.self, "n") == 1)
        await pool.close()
    }

    @Test("a connection string is rebased on another database for both syntaxes")
    func conninfoRewrite() throws {
        let fromURL = try Conninfo.replacingDatabase(in: "postgres://u:p@localhost:5433/first?sslmode=disable", with: "second")
        #expect(fromURL.contains("dbname='second'"))
        #expect(fromURL.contains("port='5433'"))
        #expect(!fromURL.contains("first"))
        let fromConninfo = try Conninfo.replacingDatabase(in: "host=/tmp dbname=first", with: "o'dd")
        #expect(fromConninfo.contains(#"dbname='o\'dd'"#))
        #expect(throws: PostgresError.self) { try Conninfo.replacingDatabase(in: "host", with: "x") }
    }

    static func pool(size: Int = 2) async throws -> PostgresConnectionPool {
        PostgresConnectionPool(configuration: .init(conninfo: try await TestDatabase.fresh(), maxConnections: size))
    }
}
