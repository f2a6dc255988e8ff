/// Which change-log seqs a replica has applied: every seq up to `contiguous`, and some above it.
///
/// Seqs are taken before commit, so a later seq can become visible before an earlier one: a hole
/// below the highest applied seq is kept open, and re-read, until it fills or until `gapTimeout`
/// says its transaction rolled back (sequences are not transactional, so a rolled-back
/// transaction leaves a hole for ever). Pure bookkeeping: the caller says what time it is.
public struct AppliedSeqs: Sendable {
    /// Every seq up to this one is applied (or given up as rolled back): the catch-up cursor.
    public private(set) var contiguous: Int64
    /// Applied seqs above `contiguous`.
    private var seenAbove: Set<Int64>
    /// Holes below the highest applied seq, with when each was first noticed.
    private var gapsSince: [Int64: ContinuousClock.Instant] = [:]
    public let gapTimeout: Duration

    /// Starts with everything up to `floor` applied, plus the seqs `seen` above it.
    public init(floor: Int64, seen: some Sequence<Int64>, gapTimeout: Duration) {
        contiguous = floor
        seenAbove = Set(seen.filter { $0 > floor })
        self.gapTimeout = gapTimeout
    }

    /// Whether `seq` is already applied.
    public func contains(_ seq: Int64) -> Bool { seq <= contiguous || seenAbove.contains(seq) }

    /// Records `seq` as applied.
    public mutating func insert(_ seq: Int64) {
        if seq > contiguous { seenAbove.insert(seq) }
    }

    /// Holes waited for, or applied seqs beyond one: the log is not simply behind us.
    public var hasOpenGaps: Bool { !gapsSince.isEmpty || !seenAbove.isEmpty }

    /// The holes being waited for.
    public var openGaps: [Int64] { gapsSince.keys.sorted() }

    /// Moves `contiguous` over applied seqs up to `highest`, and over holes older than `gapTimeout`.
    public mutating func advance(upTo highest: Int64, now: ContinuousClock.Instant) {
        while contiguous < highest {
            let next = contiguous + 1
            if seenAbove.remove(next) != nil {
                gapsSince[next] = nil
                contiguous = next
                continue
            }
            let since = gapsSince[next] ?? now
            gapsSince[next] = since
            guard now - since >= gapTimeout else { break }
            gapsSince[next] = nil
            contiguous = next
        }
        for seq in gapsSince.keys where seq <= contiguous { gapsSince[seq] = nil }
    }
}
