import Catalog
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

/// Turns the key a request presents into a `Principal`, or refuses it.
struct Authenticator: Sendable {
    let configuration: AuthConfiguration
    private let masterDigest: [UInt8]?

    init(configuration: AuthConfiguration) {
        self.configuration = configuration
        masterDigest = configuration.masterKey.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    func authenticate(presentedKey: String?) throws -> Principal {
        if configuration.insecureNoAuth { return .master }
        guard let presentedKey, !presentedKey.isEmpty else {
            throw CatalogError.unauthorized(
                message: "no API key: send 'Authorization: Bearer <key>' or 'x-litellm-api-key: <key>'")
        }
        let digest = Array(SHA256.hash(data: Data(presentedKey.utf8)))
        if let masterDigest, Self.constantTimeEqual(digest, masterDigest) { return .master }
        throw CatalogError.unauthorized(message: "invalid API key")
    }

    /// Equal-length digests compared without an early exit, so timing says nothing about the key.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
