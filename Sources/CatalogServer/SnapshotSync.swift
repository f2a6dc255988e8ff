import Catalog
import CatalogStore
import Foundation
import Logging
import NIOConcurrencyHelpers

/// The serialised part of `SnapshotStore`: catch-up rounds, a write's own effects, reloads.
///
/// Reads of the database overlap (a write's effect is read while a round is under way), so each
/// read takes a ticket before it starts, and what it read is published only where no read with a
/// later ticket has published already. A read that started later saw a state at least as new, so
/// each row, the keys and the cost map only ever move forward; and every change is followed by a
/// read that started after it committed (its round's), so nothing is left behind.
actor SnapshotSync {
    let feed: ChangeFeed
    let box: NIOLockedValueBox<CatalogSnapshot>
    let logger: Logger
    /// The commit position every change up to which the snapshot has applied (the public seq).
    let applied: PositionSignal
    /// What each new generation changed, for the response cache.
    let invalidations: InvalidationLog

    private(set) var position = FeedPosition(horizon: 0, included: [])
    private(set) var lag = ReplicaLag(behindSince: nil, lastCatchUp: nil, openEntries: 0)
    /// The highest seq seen in the log, to notice a log pruned past it.
    private var highestSeq: Int64 = 0

    private var nextTicket: UInt64 = 1
    /// Tickets of reads under way (a multiset).
    private var inFlight: [UInt64: Int] = [:]
    /// The ticket of the read that published each model's current row (or its absence), kept only
    /// while an older read is still under way.
    private var modelStamps: [ExactID: UInt64] = [:]
    private var keysStamp: UInt64 = 0
    private var costMapStamp: UInt64 = 0
    private var aliasesStamp: UInt64 = 0
    private var credentialsStamp: UInt64 = 0
    private var everythingStamp: UInt64 = 0

    private var requested = 0
    private var completed = 0
    private var running: Task<Void, Error>?

    init(feed: ChangeFeed, box: NIOLockedValueBox<CatalogSnapshot>, logger: Logger, applied: PositionSignal,
         invalidations: InvalidationLog) {
        self.feed = feed
        self.box = box
        self.logger = logger
        self.applied = applied
        self.invalidations = invalidations
    }

    // MARK: Reads under tickets

    private func begin() -> UInt64 {
        let ticket = nextTicket
        nextTicket += 1
        inFlight[ticket, default: 0] += 1
        return ticket
    }

    private func end(_ ticket: UInt64) {
        if let count = inFlight[ticket], count > 1 { inFlight[ticket] = count - 1 } else { inFlight[ticket] = nil }
        // A stamp matters only to a read older than it; with none under way, forget it.
        guard let oldest = inFlight.keys.min() else {
            modelStamps.removeAll(keepingCapacity: true)
            return
        }
        modelStamps = modelStamps.filter { $0.value > oldest }
    }

    /// Publishes what the read `ticket` found: the rows of `ids` (absent ones deleted), and the
    /// keys, cost map and aliases when read. Parts a later read has already published are left alone.
    private func publish(ticket: UInt64, ids: Set<ExactID>, models: [CatalogSnapshot.Placed],
                         keys: [[UInt8]: APIKeyRecord]?, costMap: CostMap?, aliases: [ModelGroupAlias]? = nil,
                         credentials: CredentialSet? = nil, seq: Int64?) {
        let newer = ticket < everythingStamp
        let ids = newer ? [] : ids.filter { (modelStamps[$0] ?? 0) < ticket }
        let keys = newer || ticket < keysStamp ? nil : keys
        let costMap = newer || ticket < costMapStamp ? nil : costMap
        let aliases = newer || ticket < aliasesStamp ? nil : aliases
        let credentials = newer || ticket < credentialsStamp ? nil : credentials
        for id in ids { modelStamps[id] = ticket }
        if keys != nil { keysStamp = ticket }
        if costMap != nil { costMapStamp = ticket }
        if aliases != nil { aliasesStamp = ticket }
        if credentials != nil { credentialsStamp = ticket }
        box.withLockedValue { snapshot in
            let rows = Dictionary(models.map { (ExactID($0.deployment.id), $0) }, uniquingKeysWith: { first, _ in first })
            // Applying is idempotent: what is already there (a write's own effect, seen again in
            // the log) must not make a new generation and empty the response cache.
            let changed = ids.filter { id in
                rows[id]?.deployment != snapshot.deployment(id: id.text) || rows[id]?.ordinal != snapshot.ordinal(id: id.text)
            }
            let keys = keys == snapshot.keysByDigest ? nil : keys
            let costMap = costMap == snapshot.costMap ? nil : costMap
            let aliases = aliases == snapshot.aliases ? nil : aliases
            let credentials = credentials == snapshot.credentials ? nil : credentials
            let newSeq = max(snapshot.seq, seq ?? 0)
            guard !changed.isEmpty || keys != nil || costMap != nil || aliases != nil || credentials != nil else {
                if newSeq != snapshot.seq { snapshot = snapshot.with(seq: newSeq) }
                return
            }
            var next = changed.isEmpty ? snapshot : snapshot.replacing(ids: Set(changed), with: changed.compactMap { rows[$0] })
            // Cached bodies depend on models, keys, the cost map and aliases, never on credentials
            // (whose reads are not cached): a credential-only change keeps the generation, and the cache.
            let bodiesChanged = !changed.isEmpty || keys != nil || costMap != nil || aliases != nil
            if bodiesChanged {
                // Recorded before the snapshot is published: whoever reads it finds what made it.
                invalidations.record(snapshot.generation + 1, keys != nil || costMap != nil || aliases != nil
                    ? .everything
                    : .models(tenants: Set(changed.flatMap { id in
                        // The model's tenant before and after (a move names both; nil: shared).
                        [snapshot.deployment(id: id.text), rows[id]?.deployment].compactMap { $0 }.map { $0.tenantID.map { ExactID($0) } }
                    })))
            }
            next = next.with(seq: newSeq, generation: bodiesChanged ? snapshot.generation + 1 : nil, costMap: costMap,
                             keysByDigest: keys, aliases: aliases, credentials: credentials)
            snapshot = next
        }
    }

    // MARK: Reload

    func reload() async throws {
        let ticket = begin()
        defer { end(ticket) }
        let (loaded, loadedPosition, committed) = try await feed.snapshot()
        box.withLockedValue { snapshot in
            // What reads newer than this one published stays: the load may predate it.
            let kept = modelStamps.filter { $0.value > ticket }.map(\.key)
            invalidations.record(snapshot.generation + 1, .everything)
            var next = loaded.with(generation: snapshot.generation + 1)
            if !kept.isEmpty {
                let rows = kept.compactMap { id in
                    snapshot.deployment(id: id.text).flatMap { row in
                        snapshot.ordinal(id: id.text).map { CatalogSnapshot.Placed(ordinal: $0, deployment: row) }
                    }
                }
                next = next.replacing(ids: Set(kept), with: rows)
            }
            snapshot = next.with(costMap: costMapStamp > ticket ? snapshot.costMap : nil,
                                 keysByDigest: keysStamp > ticket ? snapshot.keysByDigest : nil,
                                 aliases: aliasesStamp > ticket ? snapshot.aliases : nil,
                                 credentials: credentialsStamp > ticket ? snapshot.credentials : nil)
        }
        everythingStamp = max(everythingStamp, ticket)
        keysStamp = max(keysStamp, ticket)
        costMapStamp = max(costMapStamp, ticket)
        aliasesStamp = max(aliasesStamp, ticket)
        credentialsStamp = max(credentialsStamp, ticket)
        position = loadedPosition
        highestSeq = max(highestSeq, loaded.seq)
        lag.openEntries = position.openApplied.count
        lag.lastCatchUp = .now
        applied.advance(to: committed)
        // A load's rows, parse trees and the snapshot it replaced are freed by now, spread over
        // glibc's per-thread arenas, which keep them: give the free pages back to the system.
        MemoryTrim.now()
        logger.info("catalog snapshot loaded", metadata: [
            "seq": "\(loaded.seq)", "deployments": "\(loaded.deployments.count)", "cursor": "\(position.cursor)",
        ])
    }

    // MARK: A write's own effect

    func apply(_ effect: WriteEffect) async throws {
        let ticket = begin()
        defer { end(ticket) }
        switch effect {
        case .models(let ids):
            let rows = try await feed.models(ids: ids)
            publish(ticket: ticket, ids: Set(ids.map { ExactID($0) }), models: rows, keys: nil, costMap: nil, seq: nil)
        case .keys:
            let keys = try await feed.keys()
            publish(ticket: ticket, ids: [], models: [], keys: keys, costMap: nil, seq: nil)
        case .teamsDeleted(let teams):
            let teams = Set(teams.map { ExactID($0) })
            let ids = box.withLockedValue { $0.deployments.deployments(ofTenants: teams.map(\.text)).map(\.id) }
            let rows = ids.isEmpty ? [] : try await feed.models(ids: ids)
            let keys = try await feed.keys()
            // A team's credentials go with it (ON DELETE CASCADE).
            let credentials = try await feed.credentials()
            publish(ticket: ticket, ids: Set(ids.map { ExactID($0) }), models: rows, keys: keys, costMap: nil,
                    credentials: credentials, seq: nil)
        case .costMap:
            let costMap = try await feed.costMap()
            publish(ticket: ticket, ids: [], models: [], keys: nil, costMap: costMap, seq: nil)
        case .aliases:
            let aliases = try await feed.aliases()
            publish(ticket: ticket, ids: [], models: [], keys: nil, costMap: nil, aliases: aliases, seq: nil)
        case .credentials:
            let credentials = try await feed.credentials()
            publish(ticket: ticket, ids: [], models: [], keys: nil, costMap: nil, credentials: credentials, seq: nil)
        }
    }

    // MARK: Catch-up rounds

    /// Waits for a catch-up that started after this call; coalesces concurrent callers.
    func catchUp() async throws {
        requested += 1
        if lag.behindSince == nil { lag.behindSince = .now }
        let needed = requested
        while completed < needed {
            if let running {
                // A round already under way may have started before our request: wait, then look again.
                try await running.value
                continue
            }
            let task = Task { try await self.round(startedAt: self.requested) }
            running = task
            try await task.value
        }
    }

    /// One catch-up; its bookkeeping happens on the actor before anyone waiting on it resumes.
    private func round(startedAt: Int) async throws {
        defer { running = nil }
        let started = ContinuousClock.now
        // A backlog larger than one page is read page by page; each page moves the cursor, so
        // no page is read twice.
        while try await catchUpPage() {}
        completed = max(completed, startedAt)
        lag.lastCatchUp = .now
        if let since = lag.behindSince, since <= started { lag.behindSince = nil }
    }

    /// Applies one page of the log; returns whether there may be more to read.
    private func catchUpPage() async throws -> Bool {
        var next = position
        // The page reads the rows of the models it names: its ticket is taken before it starts.
        let ticket = begin()
        defer { end(ticket) }
        let page = try await feed.page(after: next)
        if let oldest = page.oldest, highestSeq > 0, oldest > highestSeq + 1 {
            logger.notice("change log pruned past this replica's position: reloading", metadata: ["seq": "\(highestSeq)"])
            try await reload()
            return false
        }
        let finalDrained = page.final.count < ChangeFeed.pageSize
        var fresh = Set(next.takeFinal(page.final.map(\.entry)).map(\.seq))
        if finalDrained {
            next.finish(below: page.horizon)
            fresh.formUnion(next.takeOpen(page.open.map(\.entry)).map(\.seq))
        }
        let changes = (page.final + page.open).filter { fresh.contains($0.seq) }
        var modelIDs = Set<ExactID>()
        var reloadModels = false, costMapChanged = false, keysChanged = false, aliasesChanged = false
        var credentialsChanged = false
        for change in changes {
            switch change.entity {
            case "model":
                if let id = change.entityID { modelIDs.insert(ExactID(id)) } else { reloadModels = true }
            // An override is a layer of the cost map: the map is read again with it.
            case "cost_map", "price_override": costMapChanged = true
            case "api_key", "tenant": keysChanged = true
            case "model_alias": aliasesChanged = true
            // Credentials are few and small: all of them are read again, as keys are.
            case "credential": credentialsChanged = true
            default: break
            }
        }
        if reloadModels {
            try await reload()
            return false
        }
        let highest = (page.final + page.open).map(\.seq).max() ?? 0
        highestSeq = max(highestSeq, highest)
        if !changes.isEmpty {
            var models = modelIDs.compactMap { page.models[$0.text] }
            let unread = modelIDs.filter { !page.modelsRead.contains($0.text) }
            if !unread.isEmpty { models += try await feed.models(ids: unread.sorted().map(\.text)) }
            let costMap = costMapChanged ? try await feed.costMap() : nil
            let keys = keysChanged ? try await feed.keys() : nil
            let aliases = aliasesChanged ? try await feed.aliases() : nil
            let credentials = credentialsChanged ? try await feed.credentials() : nil
            publish(ticket: ticket, ids: modelIDs, models: models, keys: keys, costMap: costMap, aliases: aliases,
                    credentials: credentials, seq: highest)
        }
        // Only now, with the changes applied, does the position move.
        position = next
        lag.openEntries = position.openApplied.count
        // A page may hold more than a page size: it ends with whole transactions.
        let more = !finalDrained || page.open.count >= ChangeFeed.pageSize
        // Nothing was left to read: every change committed before the page's first statement
        // is now applied.
        if !more { applied.advance(to: page.position) }
        return more
    }
}
