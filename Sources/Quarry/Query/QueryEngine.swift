import Foundation

/// How correlated subqueries run.
public enum SubqueryMode: String, Sendable, CaseIterable {
    /// Every run's result kept, combined at the end: the baseline, for comparison.
    case materialized
    /// One run per distinct outer binding, when the consumer pulls; one result alive at a time.
    case streaming
    /// One run over all distinct outer bindings, grouped by them, joined back.
    case decorrelated
    /// Decorrelated where that preserves the semantics, streaming otherwise.
    case auto
}

/// Options of one query run.
public struct QueryOptions: Sendable {
    /// Record actual rows and bytes per operator for EXPLAIN (and keep the
    /// plan text in ``QueryResult/plan``).
    public var analyze = false
    /// Keep the plan text in ``QueryResult/plan``. Off by default: writing
    /// it costs a few percent of a short query.
    public var explain = false
    /// Stop the query when its engine memory would pass this many bytes.
    public var memoryLimitBytes: UInt64?
    /// How correlated subqueries run.
    public var subqueries: SubqueryMode = .auto
    /// Stop the query with a ``QueryError`` whose ``QueryError/stop`` is
    /// ``QueryError/Stop/deadline`` once this instant has passed. The query
    /// checks it as its operators produce batches of rows (every 32nd batch
    /// of each) and before every rule round, and a remote query also while
    /// it waits for fetches.
    public var deadline: ContinuousClock.Instant?
    /// Where the query logs and counts what it did (see ``QueryObservation``).
    public var observation: QueryObservation
    /// The seed of the `rand` and `sample` aggregates' random choices: a
    /// run with a seed repeats its choices (for tests); nil draws a new
    /// seed each run.
    public var randomSeed: UInt64?
    /// Functions, predicates and aggregates of your own (see ``QueryFunctions``).
    public var functions: QueryFunctions

    /// Options; the defaults run a query with no budget, no deadline and no plan text.
    public init(analyze: Bool = false, explain: Bool = false, memoryLimitBytes: UInt64? = nil,
                subqueries: SubqueryMode = .auto, deadline: ContinuousClock.Instant? = nil,
                observation: QueryObservation = .standard, randomSeed: UInt64? = nil,
                functions: QueryFunctions = QueryFunctions()) {
        self.analyze = analyze
        self.explain = explain
        self.memoryLimitBytes = memoryLimitBytes
        self.subqueries = subqueries
        self.deadline = deadline
        self.observation = observation
        self.randomSeed = randomSeed
        self.functions = functions
    }
}

extension Database {
    /// Runs a query given as EDN text. `inputs` are the values of the
    /// query's `:in` entries after the first `$` (which is this database),
    /// in order: scalars, collections, tuples and relations as EDN, a
    /// vector of `[e a v]` or `[e a v tx]` tuples for another source, the
    /// rules for `%`.
    public func query(_ text: String, inputs: [EDN] = [], options: QueryOptions = QueryOptions()) throws -> QueryResult {
        let start = ContinuousClock.now
        return try options.observation.observe(text: text, position: nil, since: start) {
            let query = try QueryParser.parse(text)
            return try QueryRun(query: query, database: self, inputs: inputs.map(QueryInput.edn), options: options, start: start).run()
        }
    }

    /// Runs a parsed query. A query built or changed in Swift is held to
    /// the same nesting limits as text (see ``EDN/maxDepth``).
    public func query(_ query: Query, inputs: [EDN] = [], options: QueryOptions = QueryOptions()) throws -> QueryResult {
        let start = ContinuousClock.now
        return try options.observation.observe(text: nil, position: query.position, since: start) {
            try query.checkDepth()
            return try QueryRun(query: query, database: self, inputs: inputs.map(QueryInput.edn), options: options, start: start).run()
        }
    }

    /// A database of `[e a v]` / `[e a v tx]` tuples, for a source given as data.
    static func fromTuples(_ edn: EDN) throws -> Database {
        guard let items = edn.sequence else {
            throw QueryError("expected a vector of [e a v] tuples for a source", at: edn.position)
        }
        var ops: [EDN] = []
        for item in items {
            guard let t = item.sequence, t.count == 3 || t.count == 4 else {
                throw QueryError("expected an [e a v] tuple", at: item.position)
            }
            ops.append(EDN(.vector([EDN(.keyword(Keyword("db/add"))), t[0], t[1], t[2]]), at: item.position))
        }
        return try Database().transact(EDN(.vector(ops), at: edn.position))
    }
}
