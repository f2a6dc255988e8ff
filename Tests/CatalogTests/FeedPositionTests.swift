import Catalog
import Testing

/// The replica's position in the change log: final entries move the cursor, open ones are applied
/// once, and nothing depends on time.
@Suite("FeedPosition")
struct FeedPositionTests {
    static func entry(_ seq: Int64, xid: Int64) -> FeedPosition.Entry { .init(seq: seq, xid: xid) }

    @Test("a loaded state starts at its horizon and knows the open entries it included")
    func load() {
        let position = FeedPosition(horizon: 100, included: [Self.entry(7, xid: 90), Self.entry(9, xid: 105)])
        #expect(position.cursor == .init(xid: 100, seq: 0))
        #expect(position.openSeqs == [9], "an entry below the horizon is in the state and final")
    }

    @Test("a rolled-back transaction leaves a hole that stalls nothing")
    func holeStallsNothing() {
        // seq 2 was taken by a transaction that rolled back: it never appears.
        var position = FeedPosition(horizon: 10, included: [])
        let page = [Self.entry(1, xid: 10), Self.entry(3, xid: 12), Self.entry(4, xid: 13)]
        #expect(position.takeFinal(page).map(\.seq) == [1, 3, 4])
        position.finish(below: 20)
        #expect(position.cursor == .init(xid: 20, seq: 0))
        #expect(position.openSeqs.isEmpty)
    }

    @Test("a long transaction's entry, with a seq below applied ones, is applied when it commits")
    func longTransaction() {
        var position = FeedPosition(horizon: 10, included: [])
        // Transaction 10 took seq 1 and stays open; 11 and 12 commit seqs 2 and 3.
        position.finish(below: 10)
        #expect(position.takeOpen([Self.entry(2, xid: 11), Self.entry(3, xid: 12)]).map(\.seq) == [2, 3])
        // Read again (they are still open): not applied twice.
        #expect(position.takeOpen([Self.entry(2, xid: 11), Self.entry(3, xid: 12)]).isEmpty)
        #expect(position.openSeqs == [2, 3])
        // Transaction 10 commits an hour later; the horizon moves past everything.
        let final = position.takeFinal([Self.entry(1, xid: 10), Self.entry(2, xid: 11), Self.entry(3, xid: 12)])
        #expect(final.map(\.seq) == [1], "only the late entry is new")
        position.finish(below: 13)
        #expect(position.openSeqs.isEmpty, "open entries are forgotten once final")
        #expect(position.cursor == .init(xid: 13, seq: 0))
    }

    @Test("a page moves the cursor to its last entry, so the next page starts after it")
    func paging() {
        var position = FeedPosition(horizon: 1, included: [])
        let first = (1...5).map { Self.entry(Int64($0), xid: Int64($0)) }
        #expect(position.takeFinal(first).count == 5)
        #expect(position.cursor == .init(xid: 5, seq: 5))
        // The same page again (a retried read) applies nothing.
        #expect(position.takeFinal(first).isEmpty)
        // An open entry is never behind the cursor's horizon.
        position.finish(below: 8)
        #expect(position.takeOpen([Self.entry(3, xid: 3)]).isEmpty)
        #expect(position.takeOpen([Self.entry(9, xid: 8)]).map(\.seq) == [9])
    }
}
