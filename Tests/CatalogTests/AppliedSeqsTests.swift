import Catalog
import Testing

/// The replica's bookkeeping of applied change-log seqs, with holes, on a clock the test holds.
@Suite("Applied seqs and holes")
struct AppliedSeqsTests {
    static let start = ContinuousClock.now

    @Test("contiguous seqs advance the cursor; nothing beyond what was applied")
    func contiguous() {
        var applied = AppliedSeqs(floor: 10, seen: [], gapTimeout: .seconds(60))
        for seq: Int64 in 11...13 { applied.insert(seq) }
        applied.advance(upTo: 13, now: Self.start)
        #expect(applied.contiguous == 13)
        #expect(!applied.hasOpenGaps)
        #expect(applied.contains(12) && !applied.contains(14))
    }

    @Test("a hole holds the cursor until it fills, then the cursor passes everything applied above it")
    func holeFills() {
        var applied = AppliedSeqs(floor: 0, seen: [], gapTimeout: .seconds(60))
        for seq: Int64 in [1, 3, 4] { applied.insert(seq) }
        applied.advance(upTo: 4, now: Self.start)
        #expect(applied.contiguous == 1)
        #expect(applied.openGaps == [2])
        #expect(applied.contains(3) && !applied.contains(2))
        applied.insert(2)
        applied.advance(upTo: 4, now: Self.start + .seconds(1))
        #expect(applied.contiguous == 4)
        #expect(applied.openGaps.isEmpty && !applied.hasOpenGaps)
    }

    @Test("a hole older than the timeout counts as a rolled-back transaction, not before")
    func holeTimesOut() {
        var applied = AppliedSeqs(floor: 0, seen: [1, 3], gapTimeout: .seconds(60))
        applied.advance(upTo: 3, now: Self.start)
        #expect(applied.contiguous == 1)
        applied.advance(upTo: 3, now: Self.start + .seconds(59))
        #expect(applied.contiguous == 1, "the hole is still waited for")
        applied.advance(upTo: 3, now: Self.start + .seconds(60))
        #expect(applied.contiguous == 3)
        #expect(!applied.hasOpenGaps)
    }

    /// Holes are timed one after another: a hole's clock starts when the cursor reaches it. This
    /// is what makes several rolled-back transactions stall a replica once per hole (issue 11
    /// replaces the timeout with PostgreSQL's snapshot xmin).
    @Test("a hole's timeout starts when the cursor reaches it, so holes time out one after another")
    func holesTimeOutInTurn() {
        var applied = AppliedSeqs(floor: 0, seen: [1, 3], gapTimeout: .seconds(10))
        applied.advance(upTo: 3, now: Self.start)
        applied.insert(5)
        applied.advance(upTo: 5, now: Self.start + .seconds(5))
        #expect(applied.contiguous == 1)
        #expect(applied.openGaps == [2])
        applied.advance(upTo: 5, now: Self.start + .seconds(10))
        #expect(applied.contiguous == 3)
        #expect(applied.openGaps == [4])
        applied.advance(upTo: 5, now: Self.start + .seconds(15))
        #expect(applied.contiguous == 3, "hole 4 has been waited for 5 s only")
        applied.advance(upTo: 5, now: Self.start + .seconds(20))
        #expect(applied.contiguous == 5)
    }

    @Test("seqs at or below the floor are applied; the seen list of a reload above it is kept")
    func reloadFloor() {
        var applied = AppliedSeqs(floor: 100, seen: [90, 101, 102, 104], gapTimeout: .seconds(60))
        #expect(applied.contains(90) && applied.contains(100) && applied.contains(104))
        applied.advance(upTo: 104, now: Self.start)
        #expect(applied.contiguous == 102)
        #expect(applied.openGaps == [103])
    }
}
