import ArgumentParser
import Catalog
import CatalogServer
import CatalogStore
import Foundation
import Logging

/// `model-catalog models list`: the catalog's deployments, as a table or as /model/info's JSON.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Read the catalog's models.",
        discussion: """
            Examples:
              model-catalog models list
              model-catalog models list --team-id team-a --json
            """,
        subcommands: [List.self])

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
