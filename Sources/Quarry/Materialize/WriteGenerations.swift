/// Writes the materializer has seen, counted per attribute: a flight or a
/// description notes the generation of what it reads when it starts, and
/// its answer is kept only if no write touched that since. A count, not a
/// flag on the flight: a flight the materializer no longer tracks (its
/// callers gone) is still judged correctly when it lands.
struct WriteGenerations {
    /// Writes so far.
    private(set) var total: UInt64 = 0
    /// The write that last touched each attribute.
    private var last: [Keyword: UInt64] = [:]

    /// A write touched `attributes`.
    mutating func record(_ attributes: Set<Keyword>) {
        guard !attributes.isEmpty else { return }
        total += 1
        for a in attributes { last[a] = total }
    }

    /// The last write that touched any of `attributes`; every write for a
    /// read of every attribute (an empty set).
    func stamp(_ attributes: some Collection<Keyword>) -> UInt64 {
        guard !attributes.isEmpty else { return total }
        return attributes.reduce(0) { max($0, last[$1] ?? 0) }
    }
}
