import Catalog
import CatalogStore
import Crypto
import Foundation

/// How callers prove who they are.
public struct AuthConfiguration: Sendable {
    /// The master key (admin). Compared in constant time through its SHA-256 digest.
    public var masterKey: String?
    /// Serve every caller as admin. Only with `--insecure-no-auth`.
    public var insecureNoAuth: Bool

    public init(masterKey: String?, insecureNoAuth: Bool = false) {
        self.masterKey = masterKey
        self.insecureNoAuth = insecureNoAuth
    }
}

/// Turns the key a request presents into a `Principal`, or refuses it: the master key, else a
/// live generated key (not deleted, not expired), found by its digest.
struct Authenticator: Sendable {
    let configuration: AuthConfiguration
    let keys: KeyRepository
    /// With a snapshot, keys are found in memory; without, in the database.
    let snapshot: SnapshotStore?
    /// Whether the snapshot's keys can be trusted now. Past the listener-down limit a deleted key
    /// could still be in memory, so keys are checked in the database (503 when it is away).
    let snapshotIsCurrent: @Sendable () async -> Bool
    private let masterDigest: [UInt8]?

    init(configuration: AuthConfiguration, keys: KeyRepository, snapshot: SnapshotStore?,
         snapshotIsCurrent: @escaping @Sendable () async -> Bool = { true }) {
        self.configuration = configuration
        self.keys = keys
        self.snapshot = snapshot
        self.snapshotIsCurrent = snapshotIsCurrent
        masterDigest = configuration.masterKey.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    func authenticate(presentedKey: String?) async throws -> Principal {
        if configuration.insecureNoAuth { return .master }
        guard let presentedKey, !presentedKey.isEmpty else {
            throw CatalogError.unauthorized(
                message: "no API key: send 'Authorization: Bearer <key>' or 'x-litellm-api-key: <key>'")
        }
        let digest = Array(SHA256.hash(data: Data(presentedKey.utf8)))
        if let masterDigest, Self.constantTimeEqual(digest, masterDigest) { return .master }
        if let snapshot, await snapshotIsCurrent() {
            if let record = snapshot.snapshot.keysByDigest[digest], record.isLive(at: Date()) { return record.principal }
        } else if let record = try await keys.authenticate(keyText: presentedKey) {
            return record.principal
        }
        throw CatalogError.unauthorized(message: "invalid, expired or deleted API key")
    }

    /// Equal-length digests compared without an early exit, so timing says nothing about the key.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
