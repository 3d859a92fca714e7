/// The executor's side of a remote query round: before a pattern reads the
/// replica for a key, it asks the gate whether the replica holds every
/// datom of that key. A key it does not hold is recorded as a scan to
/// fetch, and reads as empty for the rest of the round; the round's end
/// is the phase end that sends every recorded scan at once.
final class ScanGate {
    let replica: Replica
    /// Per scan issued (a pattern over one batch of input rows), its shape
    /// and the bindings it missed, each once.
    private(set) var scans: [(shape: ScanShape, bindings: [[Value]], seen: Set<[Value]>)] = []
    private var open: [ObjectIdentifier: (batch: Int, scan: Int)] = [:]

    init(replica: Replica) {
        self.replica = replica
    }

    /// What a pattern asks: its constant attribute (replica id), the
    /// positions it binds (constants and input columns, the attribute
    /// apart), and whether it reads the transaction.
    struct PatternShape {
        var attribute: UInt32?
        var parameters: PositionSet
        var needsTx: Bool
    }

    /// Whether the replica holds every datom `f` can match; if not, the key
    /// is recorded under the scan `scan` of `owner` (one per batch).
    func covers(_ f: DatomFilter, _ shape: PatternShape, owner: AnyObject, batch: Int) -> Bool {
        let key = Self.key(f, shape.parameters)
        if replica.covers(attribute: shape.attribute, parameters: shape.parameters, key: key, needsTx: shape.needsTx) {
            return true
        }
        demand(shape, key.map { replica.decode($0) }, owner: owner, batch: batch)
        return false
    }

    /// ``covers(_:_:owner:batch:)`` for a lookup outside a pattern (a
    /// lookup ref, `get-else`, `missing?`): all of a round's such lookups
    /// of one shape make one scan.
    func coversLookup(_ f: DatomFilter, parameters: PositionSet) -> Bool {
        covers(f, PatternShape(attribute: f.a, parameters: parameters, needsTx: false), owner: self, batch: 0)
    }

    /// Records a key whose values the replica cannot even encode yet (a
    /// string computed by the query): it is fetched like any other.
    func demand(_ shape: PatternShape, _ values: [Value?], owner: AnyObject, batch: Int) {
        let known = values.compactMap { $0 }
        guard known.count == shape.parameters.indexes.count else { return }
        let binding = known.map { v -> Value in if case .ref(let e) = v { .int(e) } else { v } }
        let scanShape = ScanShape(source: replica.sourceName,
                                  attributes: shape.attribute.map { [replica.ident($0)] } ?? [],
                                  parameters: shape.parameters, parameterKinds: binding.map(\.tag),
                                  projection: shape.needsTx ? [.tx] : [])
        let id = ObjectIdentifier(owner)
        let index: Int
        if let o = open[id], o.batch == batch, scans[o.scan].shape == scanShape {
            index = o.scan
        } else {
            index = scans.count
            scans.append((scanShape, [], []))
            open[id] = (batch, index)
        }
        if scans[index].seen.insert(binding).inserted { scans[index].bindings.append(binding) }
    }

    /// The requests to send at the end of the round.
    var requests: [ScanRequest] { scans.map { ScanRequest(shape: $0.shape, bindings: $0.bindings) } }

    static func key(_ f: DatomFilter, _ parameters: PositionSet) -> [EncodedValue] {
        parameters.indexes.map { p in
            switch p {
            case 0: EncodedValue(word: UInt64(bitPattern: f.e!), tag: .int)
            case 1: EncodedValue(word: UInt64(f.a!), tag: .keyword)
            case 2: f.v!
            default: EncodedValue(word: UInt64(bitPattern: f.tx!), tag: .int)
            }
        }
    }
}
