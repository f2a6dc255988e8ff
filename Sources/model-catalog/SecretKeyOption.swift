import ArgumentParser
import CatalogStore
import Crypto
import Foundation
import Logging

/// Decides the key that seals secrets at rest: CATALOG_SECRET_KEY (base64 of 32 bytes), else
/// LITELLM_SALT_KEY, else, on the embedded default, a key generated once into DATA_DIR/secret_key.
/// With an external database and neither variable there is no key, and literal secrets are refused.
enum SecretKeyOption {
    static let fileName = "secret_key"

    /// True when no environment variable names the key, so the data directory's file does.
    static var usesFile: Bool {
        let environment = ProcessInfo.processInfo.environment
        return (environment["CATALOG_SECRET_KEY"] ?? "").isEmpty && (environment["LITELLM_SALT_KEY"] ?? "").isEmpty
    }

    static func resolve(embeddedDataDir: String?, logger: Logger) throws -> SecretKey? {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment["CATALOG_SECRET_KEY"], !value.isEmpty {
            do { return try SecretKey(base64: value) } catch {
                throw ValidationError("CATALOG_SECRET_KEY must be the base64 of 32 random bytes (e.g. openssl rand -base64 32)")
            }
        }
        if let value = environment["LITELLM_SALT_KEY"], !value.isEmpty {
            if let key = try? SecretKey(base64: value) { return key }
            // LiteLLM's salt key is any string: derive 32 bytes from it rather than refuse it.
            logger.info("LITELLM_SALT_KEY is not base64 of 32 bytes: using its SHA-256 as the secret key")
            return try SecretKey(bytes: Array(SHA256.hash(data: Data(value.utf8))))
        }
        guard let embeddedDataDir else { return nil }
        let text = try KeyFile.readOrCreate(directory: embeddedDataDir, name: fileName, logger: logger) {
            SecretKey.generate().base64
        }
        do { return try SecretKey(base64: text) } catch {
            throw ValidationError("\(embeddedDataDir)/\(fileName) does not hold a base64 key of 32 bytes")
        }
    }
}
