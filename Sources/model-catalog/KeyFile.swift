import ArgumentParser
import Foundation
import Glibc
import Logging

/// A one-line key file in the data directory, created with mode 0600 on first use. Only its
/// path is ever logged.
enum KeyFile {
    static func readOrCreate(directory: String, name: String, logger: Logger, generate: () -> String) throws -> String {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
        if let existing = try? String(contentsOfFile: path, encoding: .utf8) {
            let value = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !value.isEmpty {
                logger.info("using the \(name) kept in the data directory", metadata: ["file": "\(path)"])
                return value
            }
        }
        let value = generate()
        try write(value, to: path, replacing: false)
        logger.notice("generated \(name); read it from the file", metadata: ["file": "\(path)"])
        return value
    }

    /// Writes the file (mode 0600). `replacing` swaps it atomically (rename), for key rotation.
    static func write(_ value: String, to path: String, replacing: Bool) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = replacing ? path + ".new" : path
        if replacing { unlink(target) }
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw ValidationError("cannot create \(target) (errno \(errno))") }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        fsync(descriptor)
        close(descriptor)
        guard written == bytes.count else { throw ValidationError("cannot write \(target)") }
        if replacing, rename(target, path) != 0 { throw ValidationError("cannot replace \(path) (errno \(errno))") }
    }
}
