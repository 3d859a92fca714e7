/// The executor's side of a remote query round: before a pattern reads the
/// replica for a key, it asks the gate whether the replica holds every
/// datom of that key. A key it does not hold is recorded as a scan to
/// fetch, and reads as empty for the rest of the round; the round's end
/// is the phase end that sends every recorded scan at once.
final class ScanGate {
    let replica: Replica
    /// Per scan issued (a pattern over one batch of input rows): what it
    /// asks, and the keys it missed, each once. Keys are kept encoded and
    /// turned into values only when the round's requests are built.
    private var scans: [Scan] = []
    private var open: [ObjectIdentifier: (batch: Int, scan: Int)] = [:]
    /// The last scan a key was recorded under, checked before `open`.
    private var last: (owner: ObjectIdentifier, batch: Int, scan: Int)?

    private struct Scan {
        let pattern: PatternShape
        let tags: UInt32
        /// The keys, each once, in the order missed (the core's dedup table).
        let keys: DedupSet
        /// Keys with a value the replica has no id for (a string the query computed).
        var values = DistinctBindings(capacity: 0)
    }

    /// Per pattern shape with a scan this round: keys recorded in all its
    /// scans, and the count at which the fetcher takes the source's whole
    /// attribute instead (`Int.max`: never). Keys past it are checked, not
    /// recorded: they would not change the request.
    private var recorded: [(count: Int, enough: Int)] = []
    private var tallies: [PatternShape: Int] = [:]
    /// Whether the fetcher takes the whole attribute for enough keys.
    let capsKeys: Bool
    /// Whether the plan's estimates may request whole attributes (see
    /// ``expect(_:keys:)``), and the memory the query may still use (nil:
    /// no budget): a whole attribute is planned only when it fits, as the
    /// fetcher's strategy requires.
    private let plansWhole: Bool
    private let headroomBytes: Int?
    /// Attributes requested whole because the plan reads enough of their
    /// keys (shapes with no parameters), with the reason in words.
    private(set) var plannedWhole: [(shape: PatternShape, reason: String)] = []

    init(replica: Replica, capsKeys: Bool, plansWhole: Bool = false, headroomBytes: Int? = nil) {
        self.replica = replica
        self.capsKeys = capsKeys
        self.plansWhole = plansWhole
        self.headroomBytes = headroomBytes
    }

    /// What a pattern asks: its constant attribute (replica id), the
    /// positions it binds (constants and input columns, the attribute
    /// apart), whether it reads the transaction, and the range its value
    /// is compared into, pushed down to the source (empty: none).
    struct PatternShape: Hashable {
        var attribute: UInt32?
        var parameters: PositionSet
        var needsTx: Bool
        var filter = ScanFilter()
    }

    /// Told by the planner, for each pattern it plans, how many distinct
    /// keys the pattern is estimated to look up. When that is enough for
    /// the fetcher to take the whole attribute (or the pattern reads all of
    /// it), the attribute is requested whole in this round, whether or not
    /// the executor gets to the pattern: a pattern behind one still missing
    /// would otherwise cost a round of its own, and the plan's later
    /// patterns a round each. The estimate is the planner's, from the
    /// source's figures; a pattern estimated below the line still records
    /// its keys when it runs.
    func expect(_ shape: PatternShape, keys: Double) {
        guard plansWhole, let a = shape.attribute, !replica.holdsWhole(shape), let rows = replica.attributeRows(a),
              !plannedWhole.contains(where: { Self.serves($0.shape, shape) }) else { return }
        let reason: String
        if shape.parameters.isEmpty {
            reason = "the plan reads all of it"
        } else {
            guard let distinct = replica.distinctKeys(a, shape.parameters),
                  keys >= Double(ScanStrategy.keysForWholeAttribute(distinct: distinct)) else { return }
            // An estimate past the attribute's keys (a subquery's runs multiply it) reads as all of them.
            reason = "the plan looks up about \(min(keys, Double(distinct)).estimateText) of its \(distinct) keys"
        }
        let whole = PatternShape(attribute: a, parameters: [], needsTx: shape.needsTx, filter: shape.filter)
        // In doubles: a source's figures may be as large as an Int holds.
        guard ScanStrategy.fitsWhole(bytes: Double(rows) * Double(scanShape(whole).estimatedRowBytes),
                                     headroomBytes: headroomBytes) else { return }
        plannedWhole.append((whole, reason))
        // Keys of the attribute would only repeat the request.
        for (s, t) in tallies where Self.serves(whole, s) { recorded[t].enough = 0 }
    }

    /// Whether a whole-attribute request of `whole` answers every key of `shape`.
    private static func serves(_ whole: PatternShape, _ shape: PatternShape) -> Bool {
        whole.attribute == shape.attribute && (whole.needsTx || !shape.needsTx) && whole.filter.subsumes(shape.filter)
    }

    /// Whether the replica holds every datom `f` can match; if not, the key
    /// is recorded under the scan of `owner` for input batch `batch`.
    func covers(_ f: DatomFilter, _ shape: PatternShape, owner: AnyObject, batch: Int) throws -> Bool {
        let key = KeyRow(f, shape.parameters)
        if replica.covers(shape, key: key) { return true }
        let t = tally(shape)
        if recorded[t].count < recorded[t].enough,
           try scans[scan(shape, tags: key.tags, owner: owner, batch: batch)].keys.insert(key) {
            recorded[t].count += 1
        }
        return false
    }

    /// Keeps the filters (and their input rows alongside) whose keys the
    /// replica covers, in order; the others' keys are recorded under the
    /// scan of `owner` for input batch `batch`. One call per input batch:
    /// what the replica holds for the shape is found once, not per key.
    func keepCovered(_ filters: inout [DatomFilter], _ rows: inout [Int], _ shape: PatternShape, owner: AnyObject,
                     batch: Int) throws {
        let coverage = replica.coverage(of: shape)
        if coverage.whole { return }
        let t = tally(shape)
        var (count, enough) = recorded[t]
        defer { recorded[t].count = count }
        var current: (tags: UInt32, keys: DedupSet)?
        var kept = 0
        for i in filters.indices {
            let key = KeyRow(filters[i], shape.parameters)
            if coverage.covers(key) {
                (filters[kept], rows[kept]) = (filters[i], rows[i])
                kept += 1
                continue
            }
            guard count < enough else { continue }
            if current?.tags != key.tags {
                let keys = scans[try scan(shape, tags: key.tags, owner: owner, batch: batch)].keys
                // Room for the rest of the batch at once, not by doubling.
                try keys.reserve(keys.count + min(filters.count - i, enough - count))
                current = (key.tags, keys)
            }
            if try current!.keys.insert(key) { count += 1 }
        }
        filters.removeLast(filters.count - kept)
        rows.removeLast(rows.count - kept)
    }

    /// ``covers(_:_:owner:batch:)`` for a lookup outside a pattern (a
    /// lookup ref, `get-else`, `missing?`): all of a round's such lookups
    /// of one shape make one scan.
    func coversLookup(_ f: DatomFilter, parameters: PositionSet) throws -> Bool {
        try covers(f, PatternShape(attribute: f.a, parameters: parameters, needsTx: false), owner: self, batch: 0)
    }

    /// Records a key whose values the replica cannot even encode yet (a
    /// string computed by the query): it is fetched like any other.
    func demand(_ shape: PatternShape, _ values: [Value?], owner: AnyObject, batch: Int) throws {
        let known = values.compactMap { $0 }
        guard known.count == shape.parameters.indexes.count else { return }
        let binding = known.map { v -> Value in if case .ref(let e) = v { .int(e) } else { v } }
        let tags = binding.reduce(UInt32(0)) { $0 << 8 | UInt32($1.tag.rawValue) }
        // Complemented: a scan of such values never takes encoded keys too.
        _ = scans[try scan(shape, tags: ~tags, owner: owner, batch: batch)].values.index(of: binding)
    }

    /// The scan a missed key of `owner` belongs to: the open one when it is
    /// of this batch, pattern shape and kinds of values, else a new one.
    private func scan(_ shape: PatternShape, tags: UInt32, owner: AnyObject, batch: Int) throws -> Int {
        let id = ObjectIdentifier(owner)
        func fits(_ s: Int) -> Bool { scans[s].pattern == shape && scans[s].tags == tags }
        if let l = last, l.owner == id, l.batch == batch, fits(l.scan) { return l.scan }
        var index = scans.count
        if let o = open[id], o.batch == batch, fits(o.scan) {
            index = o.scan
        } else {
            scans.append(Scan(pattern: shape, tags: tags, keys: try DedupSet(arity: 4)))
            open[id] = (batch, index)
        }
        last = (id, batch, index)
        return index
    }

    /// The entry of `shape` in `recorded`.
    private func tally(_ shape: PatternShape) -> Int {
        if let t = tallies[shape] { return t }
        let distinct = capsKeys ? replica.distinctKeys(shape.attribute, shape.parameters) : nil
        let planned = plannedWhole.contains { Self.serves($0.shape, shape) }
        recorded.append((0, planned ? 0 : distinct.map { max(1, ScanStrategy.keysForWholeAttribute(distinct: $0)) } ?? .max))
        tallies[shape] = recorded.count - 1
        return recorded.count - 1
    }

    /// The requests to send at the end of the round (empty: the round read
    /// only keys the replica holds).
    var requests: [ScanRequest] {
        plannedWhole.map { ScanRequest(shape: scanShape($0.shape), bindings: [[]]) } + scans.compactMap { s in
            // Keys recorded before the attribute was planned whole.
            if plannedWhole.contains(where: { Self.serves($0.shape, s.pattern) }) { return nil }
            var bindings = s.values.bindings
            bindings.reserveCapacity(bindings.count + s.keys.count)
            let positions = s.pattern.parameters.indexes
            for i in 0..<s.keys.count {
                let k = s.keys.keyRow(i)
                var b: [Value] = []
                b.reserveCapacity(positions.count)
                for p in positions {
                    guard let x = k.value(at: p).flatMap(replica.decode) else { break }
                    b.append(x)
                }
                if b.count == positions.count { bindings.append(b) }
            }
            guard let first = bindings.first else { return nil }
            return ScanRequest(shape: scanShape(s.pattern, kinds: first.map(\.tag)), bindings: bindings)
        }
    }

    /// The source's shape for a pattern's scan, its parameters of `kinds`.
    private func scanShape(_ pattern: PatternShape, kinds: [ValueTag] = []) -> ScanShape {
        ScanShape(source: replica.sourceName, attributes: pattern.attribute.map { [replica.ident($0)] } ?? [],
                  parameters: pattern.parameters, parameterKinds: kinds, projection: pattern.needsTx ? [.tx] : [],
                  filter: pattern.filter)
    }

    /// The encoded value `f` fixes at position `p`, if any.
    static func value(_ f: DatomFilter, at p: Int) -> EncodedValue? {
        KeyRow(f, .position(p)).value(at: p)
    }
}
