import Catalog
import CompressNIO
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// Encoded read responses, kept per (route and the parameters it reads, visible scope), valid at
/// the snapshot version the cache has reached.
///
/// A read that finds its body here costs a dictionary lookup instead of building and encoding the
/// JSON again. Each body carries a strong ETag (a digest of its bytes, so equal bodies on two
/// replicas have equal tags): `If-None-Match` answers 304. The gzip form is made on first demand
/// and kept with it. A new snapshot version drops only the bodies of the scopes its changes can
/// have touched (`InvalidationLog`, `AccessPolicy.readScope(_:isAffectedBy:)`): a write to one
/// tenant's model keeps every other tenant's bodies. Without a log, or past its reach, a new
/// version empties the cache.
final class ResponseCache: Sendable {
    struct Entry: Sendable {
        var body: ByteBuffer
        var etag: String
        var gzipped: ByteBuffer?
        /// The body shows one stored object, and `etag` is that object's tag (its version, for
        /// If-Match), not a digest of the body. Such a body can change under the same tag (the
        /// cost map's prices are merged into it), so If-None-Match never answers 304 for it.
        var isObjectTag = false
    }

    /// What a read builds: the body and, when it shows one stored object, that object's tag.
    struct Built: Sendable {
        var json: JSONValue
        var objectTag: String? = nil
    }

    private struct State {
        var version: Int64 = -1
        var entries: [Key: Entry] = [:]
        /// Bytes of every body held, plain and gzipped.
        var bytes = 0
    }

    /// Bound memory: many distinct scopes and queries, or a huge catalog, cannot grow the cache
    /// without limit. Past either bound the cache starts over; a body larger than `maxBytes` alone
    /// is served without being kept.
    let maxEntries: Int
    let maxBytes: Int
    private let state = NIOLockedValueBox(State())

    init(maxEntries: Int = 4096, maxBytes: Int = 256 << 20) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    /// Entries and bytes held now (for tests).
    var usage: (entries: Int, bytes: Int) { state.withLockedValue { ($0.entries.count, $0.bytes) } }

    /// What a cached body depends on: who may see what (the policy's read scope, so callers that
    /// see the same models share entries) and what was asked: the path and the values of the query
    /// parameters the route reads, nothing else, so that a parameter no route reads (or a new
    /// order of them) cannot make entries that push out everyone else's. A struct of byte-exact
    /// parts, not a joined string: no separator or canonically equivalent spelling can make two
    /// different requests collide.
    ///
    /// The caller's own aliases (a key's `aliases`) are part of what `/v1/models` shows it, so they
    /// are part of the key too: two keys of one scope with different aliases share nothing.
    /// Router aliases and access groups live in the snapshot, whose version the entries carry.
    struct Key: Hashable, Sendable {
        var scope: AccessPolicy.ReadScope
        var aliases: [ExactID: ExactID]
        var path: ExactID
        /// The route's parameters in the route's order, percent-decoded (nil: absent).
        var parameters: [ExactID?]

        init(scope: AccessPolicy.ReadScope, aliases: [String: String] = [:], path: String, parameters: [String?] = []) {
            self.scope = scope
            self.aliases = Dictionary(aliases.map { (ExactID($0.key), ExactID($0.value)) }, uniquingKeysWith: { first, _ in first })
            self.path = ExactID(path)
            self.parameters = parameters.map { $0.map { ExactID($0) } }
        }

        /// The key of `request` for a route that reads the query parameters `reads`.
        init(scope: AccessPolicy.ReadScope, aliases: [String: String] = [:], request: Request, reads: [String]) {
            let query = request.uri.queryParameters
            self.init(scope: scope, aliases: aliases, path: request.uri.path, parameters: reads.map { query[$0[...]].map(String.init) })
        }
    }

    /// The response for `key` at `version`, built by `make` when not cached.
    func response(
        key: Key, version: Int64, request: Request, invalidations: InvalidationLog? = nil, make: () async throws -> JSONValue
    ) async throws -> Response {
        try await response(key: key, version: version, request: request, invalidations: invalidations) { Built(json: try await make()) }
    }

    /// As `response(key:version:request:make:)`, for a read that may show one stored object.
    func response(
        key: Key, version: Int64, request: Request, invalidations: InvalidationLog? = nil, build: () async throws -> Built
    ) async throws -> Response {
        var entry = state.withLockedValue { state in
            Self.advance(&state, to: version, invalidations: invalidations)
            return state.version == version ? state.entries[key] : nil
        }
        if entry == nil {
            let made = try await build()
            let bytes = JSONWriter.bytes(made.json)
            let built = Entry(body: ByteBuffer(bytes: bytes), etag: made.objectTag ?? Self.etag(bytes), gzipped: nil,
                              isObjectTag: made.objectTag != nil)
            store(built, key: key, version: version, invalidations: invalidations)
            entry = built
        }
        guard var entry else { throw HTTPError(.internalServerError) }
        var headers: HTTPFields = [.contentType: "application/json", .eTag: entry.etag, .vary: "Accept-Encoding"]
        if !entry.isObjectTag, let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
            let tag = $0.trimmingCharacters(in: .whitespaces)
            return tag == entry.etag || tag == "W/" + entry.etag || tag == "*"
        }) {
            return Response(status: .notModified, headers: headers)
        }
        if Self.acceptsGzip(request) {
            if entry.gzipped == nil {
                var source = entry.body
                entry.gzipped = try source.compress(with: .gzip())
                store(entry, key: key, version: version, invalidations: invalidations)
            }
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: entry.gzipped!))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: entry.body))
    }

    /// Brings the cache to `version`: the bodies the changes since its version can have touched
    /// are dropped; all of them when what changed is not known. An older version changes nothing.
    private static func advance(_ state: inout State, to version: Int64, invalidations: InvalidationLog?) {
        guard version > state.version else { return }
        if state.version >= 0, let invalidations, let change = invalidations.changes(after: state.version, through: version) {
            let touched = state.entries.keys.filter { AccessPolicy.readScope($0.scope, isAffectedBy: change) }
            for key in touched {
                if let entry = state.entries.removeValue(forKey: key) {
                    state.bytes -= entry.body.readableBytes + (entry.gzipped?.readableBytes ?? 0)
                }
            }
        } else {
            state.entries.removeAll(keepingCapacity: true)
            state.bytes = 0
        }
        state.version = version
    }

    private func store(_ entry: Entry, key: Key, version: Int64, invalidations: InvalidationLog?) {
        state.withLockedValue { state in
            Self.advance(&state, to: version, invalidations: invalidations)
            guard state.version == version else { return }  // an older snapshot's body is not kept
            let size = entry.body.readableBytes + (entry.gzipped?.readableBytes ?? 0)
            guard size <= maxBytes else { return }
            let replaced = state.entries[key].map { $0.body.readableBytes + ($0.gzipped?.readableBytes ?? 0) } ?? 0
            if state.entries[key] == nil && state.entries.count >= maxEntries || state.bytes - replaced + size > maxBytes {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.bytes += size - (state.entries[key] == nil ? 0 : replaced)
            state.entries[key] = entry
        }
    }

    static func acceptsGzip(_ request: Request) -> Bool {
        guard let accept = request.headers[.acceptEncoding]?.lowercased() else { return false }
        return accept.split(separator: ",").contains { part in
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.first == "gzip" else { return false }
            return !fields.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }

    /// A 64-bit digest of the body, with its length: equal bodies give equal tags on every
    /// replica. It reads eight bytes a step (byte by byte, as FNV-1a, the tag of a tenant's
    /// 800 kB `/model/info` took about a millisecond of every read after a write).
    static func etag(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                hash = mixed(hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            while offset < raw.count {
                hash = mixed(hash ^ UInt64(raw[offset]))
                offset += 1
            }
        }
        return "\"\(String(hash, radix: 16))-\(bytes.count)\""
    }

    /// One step of the digest: a multiply by an odd constant (low bits into high ones) and a
    /// shift back down (high bits into low ones).
    private static func mixed(_ value: UInt64) -> UInt64 {
        let multiplied = value &* 0x9E37_79B9_7F4A_7C15
        return multiplied ^ (multiplied >> 29)
    }
}
