import ArgumentParser
import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Logging

/// `model-catalog models list`: the catalog's deployments, as a table or as /model/info's JSON.
/// `model-catalog models restore`: a model back to a version from its history.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Read the catalog's models, and restore one from its history.",
        discussion: """
            Examples:
              model-catalog models list
              model-catalog models list --team-id team-a --json
              model-catalog models restore --model-id openai-gpt-4o --version 3
            """,
        subcommands: [List.self, Restore.self])

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Bring a model back to a version from its history (POST /model/restore, as the master key).",
            discussion: """
                The model (changed or deleted since) becomes what it was at --version, as a new
                change: a new version, logged with the actor "cli", seen by every replica. History
                keeps no secret: a literal secret the model has now is kept; one it no longer has
                (a deleted model's) is refused, naming the field: restore through the API with a
                new value in litellm_params instead. Prints the restored model as /model/info does.

                Examples:
                  model-catalog models restore --model-id openai-gpt-4o --version 3
                  DATABASE_URL=postgres://catalog@db/catalog CATALOG_SECRET_KEY=... model-catalog models restore --model-id m-1 --version 2
                """)

        @Option(help: "The model's id (model_info.id).")
        var modelId: String

        @Option(help: "The version to bring back (GET /model/history?model_id= lists them).")
        var version: Int

        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard version >= 1 else { throw ValidationError("--version must be 1 or more") }
            guard !modelId.isEmpty else { throw ValidationError("--model-id must not be empty") }
        }

        func run() async throws {
            let logger = Logger(label: "model-catalog")
            let external = database.resolvedURL(config: nil) != nil
            let secretKey = try SecretKeyOption.resolve(embeddedDataDir: external ? nil : database.dataDir, logger: logger)
            let (id, version) = (modelId, version)
            let principal = Principal(role: .admin, actor: "cli")
            let (restored, costMap): (Deployment, CostMap)
            do {
                (restored, costMap) = try await OpenedDatabase.withMigratedPool(database, logger: logger) { pool in
                    let restored = try await ModelRepository(pool: pool, secretKey: secretKey).restore(id: id, version: version, actor: principal.actor) {
                        try ModelRestore.restored($0, version: version, over: $1, by: principal)
                    }
                    return (restored, try await CostMapRepository(pool: pool).all())
                }
            } catch let error as CatalogError {
                throw ValidationError(error.message)
            }
            print(JSONWriter.string(DeploymentView.json(restored, costMap: costMap)))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every deployment (all teams, as the master key sees them).",
            discussion: """
                The table shows id, model_name, the provider model, the team and where the model
                came from (config or api). --json prints what GET /model/info answers the master
                key: secrets redacted, prices and limits filled in from the cost map.

                Examples:
                  model-catalog models list
                  model-catalog models list --json | jq '.data[].model_name'
                  DATABASE_URL=postgres://catalog@db/catalog model-catalog models list --team-id team-a
                """)

        @Flag(help: "Print /model/info's JSON instead of a table.")
        var json = false

        @Option(help: "Only this team's models (and the shared ones, as /model/info?team_id= does).")
        var teamId: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = Logger(label: "model-catalog")
            let (deployments, costMap) = try await OpenedDatabase.withMigratedPool(database, logger: logger) { pool in
                // The read path of `serve --no-cache`, as the master key sees it.
                let state = try await DatabaseCatalogReader(models: ModelRepository(pool: pool), costs: CostMapRepository(pool: pool)).current()
                return (AccessPolicy.visible(state.deployments, to: .master, tenantFilter: teamId), state.costMap)
            }
            if json {
                let document: JSONValue = ["data": .array(deployments.map { DeploymentView.json($0, costMap: costMap) })]
                print(JSONWriter.string(document))
            } else {
                print(Self.table(deployments), terminator: "")
            }
        }

        /// Aligned columns; long values are shown whole (ids and names are what people copy).
        static func table(_ deployments: [Deployment]) -> String {
            let header = ["ID", "MODEL_NAME", "MODEL", "TEAM", "SOURCE"]
            let rows = deployments.map { [$0.id, $0.modelName, $0.litellmModel, $0.tenantID ?? "-", $0.source.rawValue] }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            func line(_ cells: [String]) -> String {
                zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
            }
            var out = line(header) + rows.map(line).joined()
            out += "\(deployments.count) deployment\(deployments.count == 1 ? "" : "s")\n"
            return out
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == " " { end = index(before: end) }
        return String(self[..<end])
    }
}
