import Quarry

/// A scan's rows as the suite compares them: per binding, the datoms
/// (completed from the binding and the shape where the rows leave a
/// position out) with how many times each came, and what was wrong with
/// the rows' form.
struct ComparedRows: Equatable {
    /// A datom without its transaction, references as integers.
    struct Fact: Hashable, CustomStringConvertible {
        var e: Int64
        var a: Keyword
        var v: Value

        var description: String { "[\(e) \(a) \(EDNWriter.write(v))]" }
    }

    /// Per binding index, each fact and its count.
    var facts: [Int: [Fact: Int]] = [:]
    /// Transactions the rows gave, per fact (when the projection carries them).
    var txs: [Fact: Int64] = [:]
    /// Problems with the rows themselves.
    var problems: [String] = []

    /// Attributes whose values depend on when the data was written.
    static let skipped: Set<Keyword> = [Keyword("db/txInstant")]

    static func == (x: ComparedRows, y: ComparedRows) -> Bool { x.facts == y.facts }

    init(_ rows: ScanRows, of request: ScanRequest) {
        let shape = request.shape
        let positions = shape.parameters.indexes
        if !shape.projection.isSubset(of: rows.projection) {
            problems.append("rows carry \(rows.projection), the shape asks for \(shape.projection)")
        }
        var lastBinding = -1
        for (binding, range) in rows.bindingRanges {
            if binding <= lastBinding { problems.append("binding \(binding) comes after binding \(lastBinding)") }
            lastBinding = binding
            if binding < 0 || binding >= request.bindings.count {
                problems.append("rows for binding \(binding) of \(request.bindings.count)")
                return
            }
            for i in range {
                let r = rows.row(i)
                let key = request.bindings[binding]
                func bound(_ p: Int) -> Value? { positions.firstIndex(of: p).map { key[$0] } }
                guard let e = r.e ?? bound(0).flatMap(Self.integer),
                      let a = r.a ?? bound(1).flatMap(Self.keyword) ?? (shape.attributes.count == 1 ? shape.attributes[0] : nil),
                      let v = r.v ?? bound(2) else {
                    problems.append("row \(i) leaves out a position the request does not bind")
                    continue
                }
                if Self.skipped.contains(a) { continue }
                let fact = Fact(e: e, a: a, v: Self.normal(v))
                let datom = SourceDatom(e: e, a: a, v: fact.v, tx: r.tx ?? 0)
                var normalKey = key
                for j in normalKey.indices { normalKey[j] = Self.normal(normalKey[j]) }
                if !ScanRequest(shape: shape, bindings: [normalKey]).matches(datom, binding: 0) {
                    problems.append("\(fact) does not match binding \(binding) \(key.map(EDNWriter.write))")
                }
                facts[binding, default: [:]][fact, default: 0] += 1
                if let tx = r.tx { txs[fact] = tx }
            }
        }
    }

    /// A reference as the integer it is.
    static func normal(_ v: Value) -> Value {
        if case .ref(let x) = v { return .int(x) }
        return v
    }

    private static func keyword(_ v: Value) -> Keyword? {
        if case .keyword(let k) = v { return k }
        return nil
    }

    private static func integer(_ v: Value) -> Int64? {
        switch v {
        case .int(let x), .ref(let x): x
        default: nil
        }
    }

    /// What `self` (the source's) has that `expected` lacks and the
    /// reverse, a few of each, in words; nil when they agree.
    func difference(from expected: ComparedRows) -> String? {
        var out: [String] = []
        for b in Set(facts.keys).union(expected.facts.keys).sorted() {
            let got = facts[b] ?? [:], want = expected.facts[b] ?? [:]
            guard got != want else { continue }
            let extra = got.filter { want[$0.key] != $0.value }.map { "\($0.key)×\($0.value)" }.sorted().prefix(3)
            let missing = want.filter { got[$0.key] != $0.value }.map { "\($0.key)×\($0.value)" }.sorted().prefix(3)
            out.append("binding \(b): got \(extra.isEmpty ? "nothing more" : extra.joined(separator: " ")), "
                       + "expected \(missing.isEmpty ? "nothing more" : missing.joined(separator: " "))")
            if out.count == 3 { break }
        }
        return out.isEmpty ? nil : out.joined(separator: "; ")
    }
}
