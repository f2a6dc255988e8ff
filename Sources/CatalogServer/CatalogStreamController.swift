import Catalog
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The change stream that gateways follow (issue 13): `GET /catalog/snapshot`, `GET
/// /catalog/changes` and the Server-Sent Events of `GET /catalog/stream`.
///
/// A seq here is a commit position of the change log (1, 2, 3, … in commit order, with no hole:
/// `0010_change_positions.sql`), so a cursor never skips a change that committed late. Every
/// answer comes from this replica's snapshot, and only up to the position it has applied.
struct CatalogStreamController: Sendable {
    let store: SnapshotStore?
    let hub: ChangeStreamHub?
    let feed: ChangeFeed
    let authenticator: Authenticator
    let open: ChangeEventRenderer.OpenParams
    let subscribers: StreamSubscribers
    /// A comment line at least this often keeps proxies and clients from timing the stream out.
    var heartbeat: Duration = .seconds(10)

    /// Events per page of `/catalog/changes` by default, and at most.
    static let defaultLimit = 500
    static let maxLimit = 1_000

    func addRoutes(to group: RouterGroup<CatalogRequestContext>) {
        group.get("/catalog/snapshot", use: snapshot)
        group.get("/catalog/changes", use: changes)
        group.get("/catalog/stream", use: stream)
    }

    /// How `principal` hears of changes: with `snapshot` (the store's current one by default) and
    /// the replica's rendered views, shared with its reads.
    private func renderer(_ principal: Principal, _ options: CatalogStreamOptions, store: SnapshotStore,
                          snapshot: CatalogSnapshot? = nil) -> ChangeEventRenderer {
        ChangeEventRenderer(principal: principal, snapshot: snapshot ?? store.snapshot, options: options, open: open,
                            rendered: store.rendered)
    }

    // MARK: Endpoints

    @Sendable func snapshot(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let (principal, options, store, _) = try begin(request, context)
        // The position first: the snapshot taken after it is at least as new.
        let seq = store.appliedPosition
        let snapshot = store.snapshot
        let renderer = renderer(principal, options, store: store, snapshot: snapshot)
        let visible = AccessPolicy.visible(snapshot.deployments, to: principal)
        let opened = options.routing && !visible.isEmpty ? try await open(principal, visible) : [:]
        let credentials = snapshot.credentials.all.filter {
            AccessPolicy.hearsOfCredentialChange(tenants: [$0.tenantID], by: principal)
        }
        let aliases = AccessPolicy.visibleAliases(snapshot.aliases, visible: visible, to: principal)
        var body: [String: JSONValue] = [
            "seq": .int(Int(seq)),
            "models": .array(visible.compactMap { renderer.model($0, opened: opened) }),
            "credentials": .array(credentials.map(CredentialView.json)),
            "aliases": ChangeEventRenderer.aliasMap(aliases),
        ]
        if options.includeCostMap { body["cost_map"] = ChangeEventRenderer.costMap(snapshot.costMap) }
        var response = JSONBody.response(.object(body))
        response.headers[CatalogSeqMiddleware.seqHeader] = String(seq)
        return response
    }

    @Sendable func changes(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let (principal, options, store, hub) = try begin(request, context)
        let query = request.uri.queryParameters
        let after = try Self.cursor(query["after"].map(String.init), field: "after") ?? 0
        let limit = try ModelReadController.positiveInt(query["limit"].map(String.init), field: "limit",
                                                         default: Self.defaultLimit, max: Self.maxLimit)
        try await check(cursor: after, hub: hub)
        var events: [JSONValue] = []
        var next = after
        switch try await hub.entries(after: after, limit: limit) {
        case .pruned(let oldest):
            throw Self.pruned(after, oldest: oldest)
        case .entries(let entries, let last):
            let renderer = renderer(principal, options, store: store)
            events = try await renderer.events(entries).map(\.event)
            next = last
        }
        var response = JSONBody.response([
            "after": .int(Int(after)), "seq": .int(Int(next)), "has_more": .bool(next < hub.head.value),
            "changes": .array(events),
        ])
        response.headers[CatalogSeqMiddleware.seqHeader] = String(next)
        return response
    }

    @Sendable func stream(_ request: Request, context: CatalogRequestContext) async throws -> Response {
        let (principal, options, store, hub) = try begin(request, context)
        // A reconnecting EventSource sends the last id it received: that wins over the URL's cursor.
        let lastEventID = request.headers[Self.lastEventID]
        let start = try Self.cursor(lastEventID, field: "Last-Event-ID")
            ?? Self.cursor(request.uri.queryParameters["after"].map(String.init), field: "after")
            ?? hub.head.value
        try await check(cursor: start, hub: hub)
        let presentedKey = AuthMiddleware.presentedKey(request)
        let (authenticator, heartbeat) = (authenticator, heartbeat)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[Self.accelBuffering] = "no"
        headers[CatalogSeqMiddleware.seqHeader] = String(start)
        let caller = principal
        let isConnected = context.isConnected
        let record = store.snapshot.keysByDigest.values.first { $0.isKey(of: principal) }
        let subscribers = subscribers
        let subscriber = StreamSubscribers.Subscriber(
            key: record?.token ?? principal.actor, keyAlias: record?.alias, role: principal.role.rawValue,
            teamID: principal.tenantID, remoteAddress: context.remoteAddress, view: options.routing ? "routing" : "redacted",
            connectedAt: Date(), deliveredSeq: start)
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // Graceful shutdown ends the stream (the server drains before it stops); the client
            // reconnects elsewhere with its Last-Event-ID.
            let stopping = NIOLockedValueBox(false)
            let registration = subscribers.add(subscriber)
            defer { subscribers.remove(registration) }
            try await withGracefulShutdownHandler {
                var principal = caller
                try await writer.write(ByteBuffer(string: "retry: 1000\n: stream from \(start)\n\n"))
                var cursor = start
                var quietSince = ContinuousClock.now
                while !Task.isCancelled, !stopping.withLockedValue({ $0 }), isConnected() {
                    let batch = try await hub.entries(after: cursor, limit: Self.defaultLimit)
                    guard case .entries(let entries, let next) = batch else {
                        // Pruned while the client was behind: tell it to start over, and end.
                        let event = ChangeEventRenderer.reset(seq: cursor)
                        try await writer.write(ByteBuffer(string: "event: change\ndata: \(JSONWriter.string(event))\n\n"))
                        break
                    }
                    if entries.isEmpty {
                        // Wait in short slices, so that a shutdown is noticed within one. Each
                        // quiet slice writes an empty comment line: a client that left (its FIN
                        // leaves the connection writable) fails the next write, within seconds.
                        if await !hub.head.wait(forAtLeast: cursor + 1, timeout: .seconds(1)) {
                            let beat = ContinuousClock.now - quietSince >= heartbeat
                            try await writer.write(ByteBuffer(string: beat ? ": heartbeat\n\n" : ":\n"))
                            if beat { quietSince = .now }
                        }
                        continue
                    }
                    // The caller's own key or team changed: look it up again (a deleted key ends
                    // the stream; a changed one sees what it may see now, after a reset event).
                    if entries.contains(where: { ($0.entity == "api_key" || $0.entity == "tenant") && ChangeEventRenderer.affects($0, principal) }) {
                        guard let renewed = try? await authenticator.authenticate(presentedKey: presentedKey),
                              !options.routing || AccessPolicy.receivesRoutingView(renewed) else { break }
                        principal = renewed
                    }
                    let renderer = renderer(principal, options, store: store)
                    var text = ""
                    for (position, event) in try await renderer.events(entries) {
                        text += "id: \(position)\nevent: change\ndata: \(JSONWriter.string(event))\n\n"
                    }
                    if !text.isEmpty {
                        try await writer.write(ByteBuffer(string: text))
                        quietSince = .now
                    }
                    cursor = next
                    subscribers.delivered(registration, seq: cursor)
                }
                // A client that left has nothing to finish.
                if isConnected() { try await writer.finish(nil) }
            } onGracefulShutdown: {
                stopping.withLockedValue { $0 = true }
            }
        })
    }

    // MARK: Checks

    /// What every endpoint starts from: the caller, its options, and the replica it reads.
    private func begin(_ request: Request, _ context: CatalogRequestContext) throws
        -> (Principal, CatalogStreamOptions, SnapshotStore, ChangeStreamHub) {
        let principal = try context.requirePrincipal()
        let options = try Self.options(request, principal: principal)
        guard let store, let hub else {
            throw CatalogError.invalid(field: nil, message:
                "the change stream is served from the replica snapshot, which this server runs without (serve --no-cache)")
        }
        return (principal, options, store, hub)
    }

    /// A cursor the log cannot continue from is refused before anything is sent: ahead of the
    /// log (another catalog's, or a restored database's), or older than the oldest entry kept.
    private func check(cursor: Int64, hub: ChangeStreamHub) async throws {
        let bounds = try await feed.positionBounds()
        if cursor > bounds.highest {
            throw CatalogError.gone(message:
                "seq \(cursor) is ahead of the change log (its last seq is \(bounds.highest)): take a new /catalog/snapshot")
        }
        if cursor + 1 < bounds.oldest { throw Self.pruned(cursor, oldest: bounds.oldest) }
    }

    static func pruned(_ cursor: Int64, oldest: Int64) -> CatalogError {
        .gone(message: "seq \(cursor) is older than the change log keeps (its oldest seq is \(oldest)): take a new /catalog/snapshot")
    }

    static func options(_ request: Request, principal: Principal) throws -> CatalogStreamOptions {
        let query = request.uri.queryParameters
        let routing: Bool
        switch query["view"].map(String.init) {
        case nil, "redacted": routing = false
        case "routing": routing = true
        case let other?:
            throw CatalogError.invalid(field: "view", message: "view must be 'redacted' or 'routing', not '\(other)'")
        }
        if routing, !AccessPolicy.receivesRoutingView(principal) {
            throw CatalogError.forbidden(message: "only gateway keys may read the routing view (view=routing)")
        }
        let includeCostMap: Bool
        switch query["include_cost_map"].map(String.init) {
        case nil, "true": includeCostMap = true
        case "false": includeCostMap = false
        case let other?:
            throw CatalogError.invalid(field: "include_cost_map", message: "include_cost_map must be true or false, not '\(other)'")
        }
        return CatalogStreamOptions(routing: routing, includeCostMap: includeCostMap)
    }

    /// A seq given by the client: a whole number from 0.
    static func cursor(_ text: String?, field: String) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
            throw CatalogError.invalid(field: field, message: "\(field) must be a seq: a whole number from 0, not '\(text)'")
        }
        return value
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// Tells nginx and similar proxies not to buffer the stream.
    static let accelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
