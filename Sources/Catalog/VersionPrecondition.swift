import Foundation

/// Optimistic concurrency over HTTP: an object's version as a strong entity tag (`ETag`), and the
/// `If-Match` precondition a write is held to (RFC 9110 §13.1.1).
///
/// The tag of a stored object is its version in quotes (`"7"`): the database gives every write a
/// new one that never goes back (migration 0013), so equal tags mean the same state of the same
/// object. An object without a stored version (an access group, a set of deployments) has a tag
/// derived from its members' versions (`tag(members:)`).
///
/// The check runs inside the write's transaction, on the row it has locked, after the policy has
/// allowed the caller to change it: a caller that may not see an object learns nothing of its
/// version, and no second writer can slip in between the check and the write.
public struct VersionPrecondition: Sendable, Equatable {
    /// `*`: any current state matches; otherwise the strong tags listed.
    public let tags: [String]?

    /// The tag of a stored object at `version`.
    public static func tag(version: Int) -> String { "\"\(version)\"" }

    /// The tag of an object made of others (id and version of each, in a stable order): a digest,
    /// so any change of a member, or of which members there are, changes it.
    public static func tag(members: [(id: String, version: Int)]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
        }
        for member in members {
            mix(member.id.utf8)
            mix([0])  // ids cannot hold NUL (PostgreSQL text), so no two lists run together
            mix(String(member.version).utf8)
            mix([0])
        }
        return "\"g\(String(hash, radix: 16))-\(members.count)\""
    }

    /// Parses an `If-Match` header: `*`, or a comma-separated list of entity tags. Nil when the
    /// request has none (the write goes ahead as LiteLLM's would). A weak tag (`W/"…"`) is kept
    /// but never matches: If-Match compares strongly.
    public init?(header: String?) throws {
        guard let header else { return nil }
        let text = header.trimmingCharacters(in: .whitespaces)
        if text == "*" {
            tags = nil
            return
        }
        var tags: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let tag = part.trimmingCharacters(in: .whitespaces)
            let opaque = tag.hasPrefix("W/") ? tag.dropFirst(2) : tag[...]
            guard opaque.count >= 2, opaque.first == "\"", opaque.last == "\"",
                  !opaque.dropFirst().dropLast().contains("\"") else {
                throw CatalogError.invalid(
                    field: "If-Match",
                    message: "If-Match must be * or a list of entity tags as ETag gives them (e.g. \"3\"), not \(Self.shown(text))")
            }
            tags.append(tag)
        }
        self.tags = tags
    }

    /// Whether the object whose current tag is `current` satisfies the precondition.
    public func matches(_ current: String) -> Bool {
        guard let tags else { return true }
        return !current.hasPrefix("W/") && tags.contains(current)
    }

    /// Throws `preconditionFailed` (412) naming the current version unless `version` matches.
    /// `what` names the object ("model 'gpt-4o'").
    public func check(version: Int, of what: String) throws {
        let current = Self.tag(version: version)
        try check(current, of: what, described: "version is \(version) (ETag \(current))")
    }

    /// As `check(version:of:)`, for an object whose tag is derived (`tag(members:)`).
    public func check(tag current: String, of what: String) throws {
        try check(current, of: what, described: "ETag is \(current)")
    }

    private func check(_ current: String, of what: String, described: String) throws {
        guard matches(current) else {
            throw CatalogError.preconditionFailed(
                message: "\(what) has changed: its current \(described), not the one in If-Match; "
                    + "read it again, reapply your change and send the new ETag",
                etag: current)
        }
    }

    /// A header value in an error message: short, since it is the caller's own text.
    private static func shown(_ text: String) -> String {
        text.count <= 64 ? "'\(text)'" : "'\(text.prefix(64))…'"
    }
}
