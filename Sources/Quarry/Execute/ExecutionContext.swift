/// What one query run shares between its operators: the value space, the
/// sources by name, the rules, and the memory account.
final class ExecutionContext {
    let space: ValueSpace
    let account: MemoryAccount?
    var sources: [String: Database]
    var rules: [String: [Rule]] = [:]
    let subqueryMode: SubqueryMode
    let counters: Counters
    /// The random choices of `rand` and `sample`.
    let random: QueryRandom
    /// Functions, predicates and aggregates registered from Swift.
    var functions = QueryFunctions()
    /// Checking a prepared query: namespaced functions not registered yet
    /// are accepted (the run will have them).
    var defersNamespaced = false
    /// In a round of a remote query, what decides whether the replica may
    /// be read for a key of the primary source; nil for a local query.
    var gate: ScanGate?
    /// The planner's cost-based choices: recorded, or replayed from a
    /// prepared query's first plan.
    var choices = PlanChoices()
    /// Whether this is a nested query's context (a subquery).
    private(set) var isNested = false
    /// How many times a plan made in this context is expected to run in
    /// the query: 1, or for a subquery run once per outer binding (and
    /// nested in others), their estimated product. A remote round plans
    /// an attribute whole from the keys of all the runs, not of one.
    private(set) var runs = 1.0

    /// Figures of the whole run, nested queries included.
    final class Counters {
        /// Runs of nested queries.
        var subqueryRuns = 0
        /// Rows that went through a dedup table to be deduplicated.
        var rowsDeduplicated = 0
        /// How deep the planner is in nested clauses (`not`, `or`, rule
        /// calls, subqueries) now, nested queries' planners included.
        var planDepth = 0
    }

    init(space: ValueSpace, account: MemoryAccount?, sources: [String: Database], subqueryMode: SubqueryMode = .auto,
         counters: Counters = Counters(), random: QueryRandom = QueryRandom(seed: nil)) {
        self.space = space
        self.account = account
        self.sources = sources
        self.subqueryMode = subqueryMode
        self.counters = counters
        self.random = random
    }

    /// The context of a nested query: the same values, memory and figures,
    /// its own sources and rules.
    func nested(sources: [String: Database], rules: [String: [Rule]], runs: Double = 1) -> ExecutionContext {
        let c = ExecutionContext(space: space, account: account, sources: sources, subqueryMode: subqueryMode,
                                 counters: counters, random: random)
        c.rules = rules
        c.gate = gate
        c.choices = choices
        c.functions = functions
        c.defersNamespaced = defersNamespaced
        c.isNested = true
        c.runs = self.runs * max(1, runs)
        return c
    }

    func source(_ name: String, at position: SourcePosition) throws -> Database {
        guard let db = sources[name] else { throw QueryError("unknown source \(name)", at: position) }
        return db
    }

    /// Whether values of `db` carry the query's ids already (the default
    /// source) or must be translated.
    func isPrimary(_ db: Database) -> Bool { db.interner === space.primary }

    /// A value of `db` in the query's ids.
    @inline(__always)
    func fromSource(_ v: EncodedValue, of db: Database) throws(CoreError) -> EncodedValue {
        if isPrimary(db) || !(v.tag == .string || v.tag == .keyword || v.tag == .uuid || v.tag == .tuple || v.tag == .map) { return v }
        guard let value = Value(v, interner: db.interner) else { return v }
        return try space.encode(value)
    }

    /// A query value in the ids of `db`; nil when `db` cannot hold it.
    @inline(__always)
    func toSource(_ v: EncodedValue, of db: Database) -> EncodedValue? {
        toSource(v, of: db, primary: isPrimary(db))
    }

    /// ``toSource(_:of:)`` with `isPrimary(db)` known (hot loops ask once).
    @inline(__always)
    func toSource(_ v: EncodedValue, of db: Database, primary: Bool) -> EncodedValue? {
        if v.tag == .ref { return EncodedValue(word: v.word, tag: .int) }
        if !(v.tag == .string || v.tag == .keyword || v.tag == .uuid || v.tag == .tuple || v.tag == .map) { return v }
        if primary { return v.word & ValueSpace.localBit != 0 ? nil : v }
        return try? db.interner.id(ofBytes: bytes(of: space.decode(v), in: db)).map { EncodedValue(word: $0, tag: v.tag) }
    }

    private func bytes(of value: Value, in db: Database) throws -> [UInt8] {
        switch value {
        case .string(let s): return Array(s.utf8)
        case .keyword(let k): return Array(k.text.utf8)
        case .uuid(let u): return Value.bytes(of: u)
        default: return [0xFF] // never interned: tuples of another source do not match
        }
    }
}
