/// Where a replica stands in the change log, from facts PostgreSQL gives rather than guesses.
///
/// Each entry carries its seq and the id of the transaction that wrote it. PostgreSQL's snapshot
/// `xmin` (the *horizon*) says that no transaction below it is still running, so an entry whose
/// xid lies below the horizon is final: visible now, or never (rolled back). Entries are therefore
/// read in two parts:
/// - *final* entries, in (xid, seq) order after `cursor`: the durable cursor moves over them, and
///   no entry can ever appear behind it;
/// - *open* entries (xid at or above the horizon) that are already visible: applied at once, and
///   remembered in `openApplied` until the horizon passes them, so none is applied twice and none
///   is re-read for ever.
///
/// A rolled-back transaction leaves nothing to wait for, and a transaction that stays open for an
/// hour is applied when it commits. Pure bookkeeping: the caller reads the log.
public struct FeedPosition: Sendable, Equatable {
    /// A point in (xid, seq) order: everything at or before it that is final has been applied.
    public struct Cursor: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var xid: Int64
        public var seq: Int64

        public init(xid: Int64, seq: Int64) {
            self.xid = xid
            self.seq = seq
        }

        public static func < (lhs: Cursor, rhs: Cursor) -> Bool {
            (lhs.xid, lhs.seq) < (rhs.xid, rhs.seq)
        }

        public var description: String { "\(xid)/\(seq)" }
    }

    /// One entry as the position needs it.
    public struct Entry: Sendable, Hashable {
        public var seq: Int64
        public var xid: Int64

        public init(seq: Int64, xid: Int64) {
            self.seq = seq
            self.xid = xid
        }
    }

    /// Every final entry at or before this has been applied.
    public private(set) var cursor: Cursor
    /// Open entries already applied, by seq, with their xid (to forget them once final).
    public private(set) var openApplied: [Int64: Int64]

    /// Starts at a loaded state: everything below `horizon` is in it, and so are the open
    /// entries `included` (visible to the load although their xid is not below the horizon).
    public init(horizon: Int64, included: some Sequence<Entry>) {
        cursor = Cursor(xid: horizon, seq: 0)
        openApplied = [:]
        for entry in included where entry.xid >= horizon { openApplied[entry.seq] = entry.xid }
    }

    /// The seqs of open entries already applied: the open read leaves them out.
    public var openSeqs: [Int64] { openApplied.keys.sorted() }

    /// Takes a page of final entries (xid below the horizon, after `cursor`, in (xid, seq) order)
    /// and returns those not yet applied. The cursor moves to the last entry of the page.
    public mutating func takeFinal(_ entries: [Entry]) -> [Entry] {
        var fresh: [Entry] = []
        for entry in entries where Cursor(xid: entry.xid, seq: entry.seq) > cursor {
            if openApplied.removeValue(forKey: entry.seq) == nil { fresh.append(entry) }
            cursor = Cursor(xid: entry.xid, seq: entry.seq)
        }
        return fresh
    }

    /// After every final entry below `horizon` has been taken: the cursor moves to the horizon,
    /// and open entries now below it are forgotten (they were final, and applied).
    public mutating func finish(below horizon: Int64) {
        if cursor < Cursor(xid: horizon, seq: 0) { cursor = Cursor(xid: horizon, seq: 0) }
        openApplied = openApplied.filter { $0.value >= horizon }
    }

    /// Takes visible open entries (xid at or above the horizon) and returns those not yet applied.
    public mutating func takeOpen(_ entries: [Entry]) -> [Entry] {
        var fresh: [Entry] = []
        for entry in entries where openApplied[entry.seq] == nil && Cursor(xid: entry.xid, seq: entry.seq) > cursor {
            openApplied[entry.seq] = entry.xid
            fresh.append(entry)
        }
        return fresh
    }
}
