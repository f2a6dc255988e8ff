import Catalog
import Crypto
import Foundation

/// The 256-bit key that seals literal secrets at rest (AES-GCM). It lives in the service's
/// environment (CATALOG_SECRET_KEY) or, on the embedded default, in a file of the data directory;
/// never in the database, which only learns a digest (`id`) to tell keys apart.
public struct SecretKey: Sendable {
    // Raw bytes: SymmetricKey is not Sendable in this swift-crypto; one is made per use.
    private let bytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: bytes) }
    /// A digest of the key: which key sealed a row.
    public let id: String

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw CatalogError.invalid(field: "CATALOG_SECRET_KEY", message: "the secret key must be 32 bytes (base64 of 32 bytes)")
        }
        self.bytes = bytes
        id = SHA256.hash(data: Data("model-catalog key id".utf8) + Data(bytes)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A key from its base64 text, as CATALOG_SECRET_KEY holds it.
    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw CatalogError.invalid(field: "CATALOG_SECRET_KEY", message: "the secret key is not valid base64")
        }
        try self.init(bytes: Array(data))
    }

    /// A new random key and its base64 text.
    public static func generate() -> (key: SecretKey, base64: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // 32 bytes: the initializer cannot fail.
        return (try! SecretKey(bytes: bytes), Data(bytes).base64EncodedString())
    }

    /// AES-GCM: nonce, ciphertext and tag in one blob. `context` (the model id) is authenticated
    /// too, so a sealed blob copied onto another row does not open.
    func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8))
        guard let combined = box.combined else { throw CatalogError.unavailable(message: "sealing failed") }
        return Array(combined)
    }

    func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return Array(try AES.GCM.open(box, using: key, authenticating: Array(context.utf8)))
        } catch {
            throw SecretKeyError.cannotOpen
        }
    }

    /// The secrets of one model, sealed as one blob.
    func seal(_ secrets: SecretSplit.Secrets, modelID: String) throws -> [UInt8] {
        try seal(JSONWriter.bytes(SecretSplit.encode(secrets)), context: modelID)
    }

    /// The secrets of one team's metadata. The context cannot be a model's: model ids hold no NUL.
    func seal(metadata secrets: [SecretSplit.Path: JSONValue], tenantID: String) throws -> [UInt8] {
        try seal(secrets, modelID: Self.tenantContext(tenantID))
    }

    func open(metadata sealed: [UInt8], tenantID: String) throws -> [SecretSplit.Path: JSONValue] {
        try open(secrets: sealed, modelID: Self.tenantContext(tenantID)).litellmParams
    }

    static func tenantContext(_ tenantID: String) -> String { "tenant\u{0}" + tenantID }

    /// A credential's values, as one JSON object bound to its name (a context no model id or
    /// team can have: it holds a NUL), so that a blob copied onto another credential does not open.
    func seal(credentialValues values: [String: JSONValue], name: String) throws -> [UInt8] {
        try seal(JSONWriter.bytes(.object(values)), context: Self.credentialContext(name))
    }

    func open(credentialValues sealed: [UInt8], name: String) throws -> [String: JSONValue] {
        let plaintext = try open(sealed, context: Self.credentialContext(name))
        guard let values = (try? JSONParser.parse(bytes: plaintext))?.objectValue else { throw SecretKeyError.cannotOpen }
        return values
    }

    static func credentialContext(_ name: String) -> String { "credential\u{0}" + name }

    func seal(_ secrets: [SecretSplit.Path: JSONValue], modelID: String) throws -> [UInt8] {
        try seal(SecretSplit.Secrets(litellmParams: secrets), modelID: modelID)
    }

    func open(secrets sealed: [UInt8], modelID: String) throws -> SecretSplit.Secrets {
        let plaintext = try open(sealed, context: modelID)
        guard let document = try? JSONParser.parse(bytes: plaintext),
              let secrets = SecretSplit.decode(document)
        else { throw SecretKeyError.cannotOpen }
        return secrets
    }
}

/// Sealed secrets that the configured key cannot open.
public enum SecretKeyError: Error, CustomStringConvertible {
    case cannotOpen
    case missing

    public var description: String {
        switch self {
        case .cannotOpen: return "a sealed secret does not open with the configured secret key (wrong CATALOG_SECRET_KEY?)"
        case .missing: return "sealed secrets exist but no secret key is configured (CATALOG_SECRET_KEY)"
        }
    }
}
