import ArgumentParser
import Crypto
import Foundation
import Logging

/// Decides the master key: LITELLM_MASTER_KEY, else the config's general_settings.master_key,
/// else, on the embedded default, a key generated once and kept in the data directory.
enum MasterKey {
    static let fileName = "master_key"

    static func resolve(
        configKey: String?, embeddedDataDir: String?, insecureNoAuth: Bool, logger: Logger
    ) throws -> String? {
        if let key = ProcessInfo.processInfo.environment["LITELLM_MASTER_KEY"], !key.isEmpty { return key }
        if let configKey, let key = EnvironmentReference.resolve(configKey), !key.isEmpty { return key }
        if insecureNoAuth { return nil }
        guard let embeddedDataDir else {
            throw ValidationError("""
                no master key: set LITELLM_MASTER_KEY or general_settings.master_key in --config. \
                (--insecure-no-auth serves every caller as admin; never use it on a shared network.)
                """)
        }
        return try generatedKey(in: embeddedDataDir, logger: logger)
    }

    /// Reads the key file, creating it (mode 0600) on first start. Logs the path, never the key.
    static func generatedKey(in directory: String, logger: Logger) throws -> String {
        try KeyFile.readOrCreate(directory: directory, name: fileName, logger: logger) {
            "sk-" + SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.map { String(format: "%02x", $0) }.joined()
        }
    }
}
