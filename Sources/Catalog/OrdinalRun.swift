/// Values sorted by a unique `Int64` key (a catalog ordinal), held in immutable chunks that
/// versions share: changing one value copies its chunk (at most `maxChunk` elements) and the list
/// of chunk references, never the other values.
///
/// Why not a library type: swift-collections has no released persistent sorted map (its
/// SortedCollections module is marked not ready), and `TreeDictionary` is unordered. A catalog
/// changes at its end mostly (new ordinals) and one row at a time; two levels are enough. At
/// 1,000,000 values a change copies about 256 values and 4,000 chunk references.
public struct OrdinalRun<Value: Sendable>: Sendable {
    /// One immutable piece of the run: keys ascending, one value each.
    final class Chunk: Sendable {
        let keys: [Int64]
        let values: [Value]

        init(keys: [Int64], values: [Value]) {
            self.keys = keys
            self.values = values
        }
    }

    /// The size a full chunk is split to, and the size past which it is split.
    static var chunkSize: Int { 256 }
    static var maxChunk: Int { 512 }

    private(set) var chunks: [Chunk]
    /// `chunks[i].keys.last`, for the binary search.
    private var lastKeys: [Int64]
    /// The number of values.
    public private(set) var count: Int

    public init() {
        chunks = []
        lastKeys = []
        count = 0
    }

    /// `keys` strictly ascending, one value each.
    public init(sortedKeys keys: [Int64], values: [Value]) {
        precondition(keys.count == values.count, "one value per key")
        self.init(sorted: keys.indices, key: { keys[$0] }, value: { values[$0] })
    }

    /// `elements` with keys strictly ascending, each split into its key and value as its chunk is
    /// made: one copy of each value, not one into an array of values and another into a chunk.
    init<Elements: RandomAccessCollection>(sorted elements: Elements, key: (Elements.Element) -> Int64,
                                           value: (Elements.Element) -> Value) where Elements.Index == Int {
        var chunks: [Chunk] = []
        chunks.reserveCapacity(elements.count / Self.chunkSize + 1)
        var start = elements.startIndex
        while start < elements.endIndex {
            let end = Swift.min(start + Self.chunkSize, elements.endIndex)
            let slice = elements[start..<end]
            chunks.append(Chunk(keys: slice.map(key), values: slice.map(value)))
            start = end
        }
        self.chunks = chunks
        lastKeys = chunks.map { $0.keys[$0.keys.count - 1] }
        count = elements.count
    }

    /// `runs` one after the other, each one's keys above the one's before: their chunks, shared.
    init(joining runs: [OrdinalRun]) {
        chunks = runs.flatMap(\.chunks)
        lastKeys = runs.flatMap(\.lastKeys)
        count = runs.reduce(0) { $0 + $1.count }
        for (earlier, later) in zip(lastKeys, lastKeys.dropFirst()) { precondition(earlier < later, "runs joined out of order") }
    }

    public var isEmpty: Bool { count == 0 }

    /// Every key with its value, in key order.
    var pairs: some Sequence<(Int64, Value)> {
        chunks.lazy.flatMap { chunk in zip(chunk.keys, chunk.values) }
    }

    /// The value at `key`, if any.
    public func value(at key: Int64) -> Value? {
        let chunk = chunkIndex(for: key)
        guard chunk < chunks.count else { return nil }
        let keys = chunks[chunk].keys
        let offset = Self.lowerBound(key, in: keys)
        return offset < keys.count && keys[offset] == key ? chunks[chunk].values[offset] : nil
    }

    /// Sets the value at `key`, adding the key where it sorts.
    public mutating func set(_ value: Value, at key: Int64) {
        guard !chunks.isEmpty else {
            chunks = [Chunk(keys: [key], values: [value])]
            lastKeys = [key]
            count = 1
            return
        }
        // Past the last key: the last chunk takes it.
        let index = Swift.min(chunkIndex(for: key), chunks.count - 1)
        var keys = chunks[index].keys
        var values = chunks[index].values
        let offset = Self.lowerBound(key, in: keys)
        if offset < keys.count && keys[offset] == key {
            values[offset] = value
        } else {
            keys.insert(key, at: offset)
            values.insert(value, at: offset)
            count += 1
        }
        if keys.count > Self.maxChunk {
            let half = keys.count / 2
            chunks.replaceSubrange(index...index, with: [Chunk(keys: Array(keys[..<half]), values: Array(values[..<half])),
                                                         Chunk(keys: Array(keys[half...]), values: Array(values[half...]))])
            lastKeys.replaceSubrange(index...index, with: [keys[half - 1], keys[keys.count - 1]])
        } else {
            chunks[index] = Chunk(keys: keys, values: values)
            lastKeys[index] = keys[keys.count - 1]
        }
    }

    /// Removes the value at `key`, if any.
    public mutating func remove(at key: Int64) {
        let index = chunkIndex(for: key)
        guard index < chunks.count else { return }
        var keys = chunks[index].keys
        let offset = Self.lowerBound(key, in: keys)
        guard offset < keys.count, keys[offset] == key else { return }
        var values = chunks[index].values
        keys.remove(at: offset)
        values.remove(at: offset)
        count -= 1
        if keys.isEmpty {
            chunks.remove(at: index)
            lastKeys.remove(at: index)
        } else if keys.count < Self.chunkSize / 8, index + 1 < chunks.count,
                  keys.count + chunks[index + 1].keys.count <= Self.chunkSize {
            // A chunk emptied by deletions joins the next one, so chunks stay worth their reference.
            let next = chunks[index + 1]
            chunks.replaceSubrange(index...(index + 1), with: [Chunk(keys: keys + next.keys, values: values + next.values)])
            lastKeys.remove(at: index)
        } else {
            chunks[index] = Chunk(keys: keys, values: values)
            lastKeys[index] = keys[keys.count - 1]
        }
    }

    /// The keys, ascending.
    public var keys: some Sequence<Int64> { chunks.lazy.flatMap(\.keys) }

    /// The first chunk whose last key is at least `key` (`chunks.count`: past every key).
    private func chunkIndex(for key: Int64) -> Int {
        Self.lowerBound(key, in: lastKeys)
    }

    /// The first position in `sorted` whose key is at least `key`.
    private static func lowerBound(_ key: Int64, in sorted: [Int64]) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

extension OrdinalRun: Collection {
    /// A chunk and a place in it.
    public struct Index: Comparable, Sendable {
        let chunk: Int
        let offset: Int

        public static func < (lhs: Index, rhs: Index) -> Bool {
            (lhs.chunk, lhs.offset) < (rhs.chunk, rhs.offset)
        }
    }

    public var startIndex: Index { Index(chunk: 0, offset: 0) }
    public var endIndex: Index { Index(chunk: chunks.count, offset: 0) }

    public func index(after index: Index) -> Index {
        index.offset + 1 < chunks[index.chunk].keys.count
            ? Index(chunk: index.chunk, offset: index.offset + 1)
            : Index(chunk: index.chunk + 1, offset: 0)
    }

    public subscript(index: Index) -> Value { chunks[index.chunk].values[index.offset] }

    /// The values at `positions` (0 is the first in key order), cut out without copying the rest:
    /// finding the first chunk walks the chunk list, not the values.
    public func values(at positions: Range<Int>) -> [Value] {
        var out: [Value] = []
        out.reserveCapacity(positions.count)
        var start = 0
        for chunk in chunks {
            let end = start + chunk.values.count
            if end > positions.lowerBound, start < positions.upperBound {
                let from = Swift.max(positions.lowerBound, start) - start
                let to = Swift.min(positions.upperBound, end) - start
                out.append(contentsOf: chunk.values[from..<to])
            }
            if end >= positions.upperBound { break }
            start = end
        }
        return out
    }

    /// Every value in key order, copied out chunk by chunk (faster than element by element).
    public var array: [Value] {
        var all: [Value] = []
        all.reserveCapacity(count)
        for chunk in chunks { all.append(contentsOf: chunk.values) }
        return all
    }
}
