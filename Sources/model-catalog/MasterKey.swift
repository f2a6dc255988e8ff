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
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let key = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !key.isEmpty {
                logger.info("using the master key kept in the data directory", metadata: ["file": "\(path)"])
                return key
            }
        }
        let random = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let key = "sk-" + random.map { String(format: "%02x", $0) }.joined()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot create the master key file \(path) (errno \(errno))") }
        let bytes = Array((key + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { throw ValidationError("cannot write the master key file \(path)") }
        logger.notice("generated a master key; read it from the file", metadata: ["file": "\(path)"])
        return key
    }
}
