import Foundation

/// One schema migration: a file `NNNN_name.sql` of `sql/migrations`, shipped as a resource.
public struct Migration: Sendable, Hashable {
    /// The file name without `.sql`, e.g. `0001_catalog`; recorded once applied.
    public var version: String
    public var sql: String

    public init(version: String, sql: String) {
        self.version = version
        self.sql = sql
    }

    /// The migrations bundled with the program, in the order they apply.
    public static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw CatalogStoreError.missingResource("Migrations")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        return try files.map { file in
            Migration(
                version: String(file.dropLast(4)),
                sql: try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8))
        }
    }
}

/// Errors of the store layer that are not PostgreSQL's own.
public enum CatalogStoreError: Error, CustomStringConvertible {
    case missingResource(String)

    public var description: String {
        switch self {
        case .missingResource(let name): return "resource \(name) is missing from the program's bundle"
        }
    }
}
