/// How the rows a subquery returns for one outer row bind the clause's
/// binding form, and the output rows that makes: `[[?a ?b]]` every row,
/// `[?a ...]` every value of a one-column result, `[?a ?b]` exactly one
/// row, `?a` the one value. No row drops the outer row; more than one for
/// a tuple or scalar binding is an error naming the subquery. A binding
/// variable the outer row already has must be equal to join.
struct SubqueryBinding {
    enum Kind: Equatable { case relation, collection, tuple, scalar }

    /// What each result column does.
    enum Target: Equatable {
        /// Becomes output column n.
        case output(Int)
        /// Must equal outer column n.
        case check(Int)
        case ignore
    }

    let kind: Kind
    let targets: [Target]
    /// The variables the binding adds to the outer row, in output order.
    let newVariables: [String]
    /// Whether only the first row of each run counts (`:find ?x .` and `:find [?a ?b]`).
    let firstRowOnly: Bool
    let label: String
    let position: SourcePosition

    init(_ binding: Binding, resultColumns: Int, outerColumns: [String], firstRowOnly: Bool, label: String,
         at position: SourcePosition) throws {
        let items: [Binding]
        switch binding {
        case .collection(.tuple(let t)): (kind, items) = (.relation, t)
        case .collection(let inner): (kind, items) = (.collection, [inner])
        case .tuple(let t): (kind, items) = (.tuple, t)
        case .variable, .blank: (kind, items) = (.scalar, [binding])
        }
        guard items.count == resultColumns else {
            throw QueryError("\(label) returns \(resultColumns) column\(resultColumns == 1 ? "" : "s"), its binding takes \(items.count)",
                             at: position)
        }
        var targets: [Target] = []
        var added: [String] = []
        for item in items {
            switch item {
            case .blank:
                targets.append(.ignore)
            case .variable(let v):
                if let c = outerColumns.firstIndex(of: v) {
                    targets.append(.check(c))
                } else if let j = added.firstIndex(of: v) {
                    targets.append(.check(outerColumns.count + j))
                } else {
                    targets.append(.output(outerColumns.count + added.count))
                    added.append(v)
                }
            default:
                throw QueryError("a subquery binding holds variables or _, not nested forms", at: position)
            }
        }
        self.targets = targets
        self.newVariables = added
        self.firstRowOnly = firstRowOnly
        self.label = label
        self.position = position
    }

    /// Appends to `output` the rows outer row `r` of `outer` makes with
    /// rows `rows` of `result` (whose first `offset` columns are keys).
    func emit<Rows: Collection<Int>>(outer: RowBuffer, row r: Int, result: RowBuffer, rows: Rows, offset: Int,
                                     into output: RowBuffer) throws {
        let count = firstRowOnly ? min(1, rows.count) : rows.count
        if (kind == .tuple || kind == .scalar) && count > 1 {
            throw QueryError("\(label) returned \(count) rows for a \(kind == .tuple ? "tuple" : "scalar") binding",
                             at: position)
        }
        let outerArity = outer.arity
        for s in rows.prefix(count) {
            var matches = true
            for (j, t) in targets.enumerated() {
                guard case .check(let c) = t, c < outerArity else { continue }
                if outer.word(r, c) != result.word(s, offset + j) || outer.tag(r, c) != result.tag(s, offset + j) {
                    matches = false
                    break
                }
            }
            guard matches else { continue }
            try output.appendRow { w in
                w.copyAll(from: outer, row: r)
                for (j, t) in targets.enumerated() {
                    if case .output(let c) = t { w.set(c, word: result.word(s, offset + j), tag: result.tag(s, offset + j)) }
                }
            }
            // A variable repeated within the binding must match its first occurrence.
            for (j, t) in targets.enumerated() {
                guard case .check(let c) = t, c >= outerArity else { continue }
                let last = output.count - 1
                if output.word(last, c) != result.word(s, offset + j) || output.tag(last, c) != result.tag(s, offset + j) {
                    output.truncate(to: last)
                    break
                }
            }
        }
    }
}
