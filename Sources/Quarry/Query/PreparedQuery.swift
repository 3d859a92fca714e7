/// A query parsed and checked once, run any number of times, on any
/// database, with new inputs, from any number of threads at once.
///
/// ```swift
/// let byAge = try PreparedQuery("""
///     [:find ?name ?age :in $ ?min :where [?p :age ?age] [(>= ?age ?min)] [?p :name ?name]]
///     """)
/// for row in try db.query(byAge, [30]).rows { print(row) }
/// let cursor = try db.cursor(byAge, [40])
/// while let row = try cursor.next() { let (name, age) = try row.decode(String.self, Int.self) }
/// ```
///
/// Making one parses the text, checks it and plans it against an empty
/// database, so that errors of the query's text (an unbound variable, an
/// unknown function) are thrown here rather than by a run. A query that
/// takes rules as an input (`%`) is checked as far as it can be without
/// them.
///
/// The first run plans the query for real, with its database's figures
/// and its inputs' sizes, and the prepared query keeps that plan's
/// choices (the order of the clauses, hash join or index lookups); later
/// runs replay them instead of searching again. Each run still builds its
/// own operators, since operators hold the run's rows, so one prepared
/// query serves concurrent runs without locking them. When the data
/// changes shape a lot (an attribute grows from ten values to a
/// million), prepare the query again to plan it again.
public final class PreparedQuery: Sendable {
    /// The text it was made from; nil when it was made from a ``Query``.
    public let text: String?
    /// The parsed query.
    public let query: Query
    /// The names of the result's columns: `?x`, `(count ?x)`, or the
    /// `:keys` names.
    public let columns: [String]
    /// The shape `:find` asks for.
    public let shape: QueryResult.Shape
    /// The `:in` entries a run takes an input for, in order, as written:
    /// every entry but the leading `$`, which is the database it runs on.
    public let inputNames: [String]
    /// The first plan's choices, shared by every run; nil until a run has planned.
    private let recorded = Locked<[Int]?>(nil)

    /// Parses and checks `text`.
    public convenience init(_ text: String) throws(QuarryError) {
        // Read first, so that text that is not EDN is a syntax error.
        let form = try QuarryError.mapping { try EDNReader.readOne(text, what: "a query") }
        let query = try QuarryError.mapping { try QueryParser.parse(form, depthChecked: true) }
        try self.init(query, text: text)
    }

    /// Checks a query built or changed in Swift (held to the nesting
    /// limits of text, see ``EDN/maxDepth``).
    public convenience init(_ query: Query) throws(QuarryError) {
        try QuarryError.mapping { try query.checkDepth() }
        try self.init(query, text: nil)
    }

    private init(_ query: Query, text: String?) throws(QuarryError) {
        self.text = text
        self.query = query
        columns = query.columnNames
        shape = query.resultShape
        var names: [String] = []
        var sawDefault = false
        for input in query.inputs {
            switch input {
            case .source("$") where !sawDefault: sawDefault = true
            case .source(let name): names.append(name)
            case .rules: names.append("%")
            case .binding(let b): names.append(BindingText.text(b))
            }
        }
        inputNames = names
        try QuarryError.mapping { try QueryRun.checkPlan(query) }
    }

    /// The run of this query on `database`, replaying the recorded plan.
    func run(on database: Database, inputs: [QueryInput], options: QueryOptions,
             start: ContinuousClock.Instant) -> QueryRun {
        QueryRun(query: query, database: database, inputs: inputs, options: options, start: start,
                 choices: PlanChoices(replaying: recorded.withLock { $0 } ?? []))
    }

    /// Keeps a run's choices if none are kept yet.
    func keep(_ run: QueryRun) {
        if !run.choices.diverged { recorded.withLock { if $0 == nil { $0 = run.choices.made } } }
    }

    /// The position a log gives the query: where it stands in its larger
    /// text, for a query made from a parsed ``Query``; none when the log
    /// shows its own text.
    var observedPosition: SourcePosition? { text == nil ? query.position : nil }

    /// Whether a plan has been recorded (tests).
    var hasRecordedPlan: Bool { recorded.withLock { $0 != nil } }

}
