import ArgumentParser
import Catalog
import CatalogServer
import CatalogStore
import Logging

/// `model-catalog keys create`: what POST /key/generate does, from the shell (as the master key).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage API keys.",
        discussion: """
            Examples:
              model-catalog keys create --team-id team-a --role tenant_admin
              model-catalog keys create --models gpt-4o --alias alice
              model-catalog keys create --role admin --alias ops
              model-catalog keys create --role gateway --alias router-eu
            """,
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create an API key and print it (shown once; only its digest is stored).",
            discussion: """
                Examples:
                  model-catalog keys create --team-id team-a --role tenant_admin --alias ops
                  model-catalog keys create --team-id team-a --models gpt-4o --models claude --duration 30d
                  model-catalog keys create --models gpt-4o --alias alice       # a personal key (no team)
                  model-catalog keys create --role admin
                  model-catalog keys create --role gateway --alias router-eu           # a shared gateway key
                  model-catalog keys create --role gateway --team-id team-a            # team-a's gateway key

                A gateway key opens the secrets of every model it can see: keep it like the
                providers' keys themselves.
                """)

        @Option(help: "The key's team (tenant); without it (and without --role) the key is personal; a gateway key without it is shared.")
        var teamId: String?

        @Option(help: "admin, tenant_admin, tenant_member (default for a team key), personal (default without a team) or gateway (a router's key: reads only, sees secrets).")
        var role: String?

        @Option(help: "Allow only these model names (repeat the option).")
        var models: [String] = []

        @Option(help: "A name for the key.")
        var alias: String?

        @Option(help: "Lifetime, e.g. 30d, 12h, 15m; none by default.")
        var duration: String?

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = Logger(label: "model-catalog")
            let request: KeyRequest
            let resolved: AccessPolicy.NewKey
            do {
                request = try KeyRequest(teamID: teamId, role: role, models: models.isEmpty ? nil : models,
                                         alias: alias, duration: duration)
                resolved = try AccessPolicy.newKey(by: .master, team: request.teamID, role: request.role,
                                                   models: request.models, expiresAt: request.expiresAt)
            } catch let error as CatalogError {
                throw ValidationError(error.message)
            }
            do {
                let text = KeyRepository.newKeyText()
                let record = try await OpenedDatabase.withMigratedPool(database, logger: logger) { pool in
                    try await KeyRepository(pool: pool).create(
                        keyText: text, alias: request.alias, role: resolved.role, tenantID: resolved.tenant, models: resolved.models,
                        expiresAt: resolved.expiresAt, actor: "cli")
                }
                print(text)
                logger.info("key created", metadata: [
                    "token": "\(record.id)", "role": "\(record.role.rawValue)", "team_id": "\(record.tenantID ?? "-")",
                ])
            } catch let error as CatalogError {
                throw ValidationError(error.message)
            }
        }
    }
}

/// `model-catalog secrets rotate --new-key KEY`: re-seals every secret under a new key.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the key that seals secrets at rest.",
        discussion: """
            Examples:
              model-catalog secrets rotate --new-key "$(openssl rand -base64 32)"
              CATALOG_SECRET_KEY=OLD_KEY model-catalog secrets rotate --new-key NEW_KEY --database-url postgres://catalog@db/catalog
            """,
        subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Re-seal every stored secret under a new key, in one transaction.",
            discussion: """
                The current key comes from CATALOG_SECRET_KEY / LITELLM_SALT_KEY, else from
                DATA_DIR/secret_key on the embedded database, which is then replaced by the new key.
                With an environment key, set CATALOG_SECRET_KEY to the new key before the next start.

                Examples:
                  model-catalog secrets rotate --new-key "$(openssl rand -base64 32)"
                  CATALOG_SECRET_KEY=OLD_KEY model-catalog secrets rotate --new-key NEW_KEY --database-url postgres://catalog@db/catalog
                """)

        @Option(help: ArgumentHelp("The new key: base64 of 32 random bytes.", valueName: "base64"))
        var newKey: String

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = Logger(label: "model-catalog")
            let new: SecretKey
            do { new = try SecretKey(base64: newKey) } catch {
                throw ValidationError("--new-key must be the base64 of 32 random bytes (e.g. openssl rand -base64 32)")
            }
            let external = database.resolvedURL() != nil
            guard let old = try SecretKeyOption.resolve(embeddedDataDir: external ? nil : database.dataDir, logger: logger) else {
                throw ValidationError("no current key: set CATALOG_SECRET_KEY to the key the secrets are sealed with")
            }
            let count = try await OpenedDatabase.withMigratedPool(database, logger: logger) { pool in
                try await SecretRotation.rotate(on: pool, from: old, to: new)
            }
            if !external, SecretKeyOption.usesFile {
                try KeyFile.write(newKey, to: database.dataDir + "/" + SecretKeyOption.fileName, replacing: true)
                print("re-sealed \(count) model(s); \(database.dataDir)/\(SecretKeyOption.fileName) now holds the new key")
            } else {
                print("re-sealed \(count) model(s); set CATALOG_SECRET_KEY to the new key before the next start")
            }
        }
    }
}
