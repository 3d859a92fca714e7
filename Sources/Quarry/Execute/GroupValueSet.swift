/// The distinct values one group has had so far, for an aggregate that
/// takes each value once (``LookupAggregate``): an open-addressing table
/// whose entries carry the number of the group that wrote them, so that
/// starting the next group clears nothing. Its bytes are the engine's (and
/// count against the query's budget): one group may hold millions of values.
struct GroupValueSet {
    private struct Entry: BitwiseCopyable {
        var word: UInt64 = 0
        var stamp: UInt32 = 0
        var tag: UInt8 = 0
    }

    private var table: CoreVector<Entry>
    private var log2 = 6
    private var stamp: UInt32 = 1
    private var count = 0
    private let account: MemoryAccount?

    init(account: MemoryAccount?) throws(CoreError) {
        self.account = account
        table = try CoreVector(repeating: Entry(), count: 1 << log2, account: account)
    }

    var byteCount: Int { table.byteCount }

    /// Forgets the values: the next group starts empty.
    mutating func startGroup() throws(CoreError) {
        count = 0
        stamp &+= 1
        // After 2^32 groups the stamps wrap: old entries would look current.
        if stamp == 0 {
            table = try CoreVector(repeating: Entry(), count: 1 << log2, account: account)
            stamp = 1
        }
    }

    /// Adds `v`; false when the group has had it already.
    @inline(__always)
    mutating func insert(_ v: EncodedValue) throws(CoreError) -> Bool {
        if (count + 1) * 2 > (1 << log2) { try grow() }
        let mask = (1 << log2) - 1
        var i = slot(v.word, v.tag.rawValue)
        while true {
            let e = table[i]
            if e.stamp != stamp { break }
            if e.word == v.word && e.tag == v.tag.rawValue { return false }
            i = (i + 1) & mask
        }
        table[i] = Entry(word: v.word, stamp: stamp, tag: v.tag.rawValue)
        count += 1
        return true
    }

    @inline(__always)
    private func slot(_ word: UInt64, _ tag: UInt8) -> Int {
        Int(truncatingIfNeeded: ((word &+ UInt64(tag)) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - log2))
    }

    /// Twice the slots, the current group's values moved over.
    private mutating func grow() throws(CoreError) {
        let old = table
        log2 += 1
        table = try CoreVector(repeating: Entry(), count: 1 << log2, account: account)
        let mask = (1 << log2) - 1
        for j in 0..<old.count where old[j].stamp == stamp {
            var i = slot(old[j].word, old[j].tag)
            while table[i].stamp == stamp { i = (i + 1) & mask }
            table[i] = old[j]
        }
    }
}
