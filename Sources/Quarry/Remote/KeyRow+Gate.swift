/// A key of a remote round: the values it binds at their datom positions
/// (e, a, v, tx as columns 0...3) in the replica's words, an entity
/// reference held as the integer the stores hold.
extension KeyRow {
    /// The key of `filter` at `positions`.
    init(_ filter: DatomFilter, _ positions: PositionSet) {
        self.init()
        if positions.contains(.e), let x = filter.e { set(0, word: UInt64(bitPattern: x), tag: ValueTag.int.rawValue) }
        if positions.contains(.a), let x = filter.a { set(1, word: UInt64(x), tag: ValueTag.keyword.rawValue) }
        if positions.contains(.v), let x = filter.v { set(2, x) }
        if positions.contains(.tx), let x = filter.tx { set(3, word: UInt64(bitPattern: x), tag: ValueTag.int.rawValue) }
    }

    /// The key of a request's binding (values in the order of `positions`),
    /// its text interned in `interner`.
    init(_ binding: [Value], _ positions: PositionSet, interner: Interner) throws(CoreError) {
        self.init()
        var i = 0
        for p in 0..<4 where positions.contains(.position(p)) {
            set(p, try binding[i].encoded(in: interner))
            i += 1
        }
    }

    private mutating func set(_ p: Int, _ x: EncodedValue) {
        set(p, word: x.word, tag: (x.tag == .ref ? ValueTag.int : x.tag).rawValue)
    }

    /// The key with only `positions` kept.
    func restricted(to positions: PositionSet) -> KeyRow { keeping(columns: positions.rawValue) }

    /// The encoded value at position `p` (0...3), if bound.
    func value(at p: Int) -> EncodedValue? {
        let (word, tag) = column(p)
        return ValueTag(rawValue: tag).map { EncodedValue(word: word, tag: $0) }
    }
}
