import Foundation

/// A database whose datoms live behind a ``DatomSource`` (SQLite, a
/// simulated network, a server): queries run in rounds against a local
/// replica of what has been fetched.
///
/// Each round plans the query with the source's figures and runs it on the
/// replica; a pattern that needs a key the replica does not hold records a
/// scan and sees nothing. At the round's end every recorded scan goes to
/// the materializer at once (one phase: merged, shared, cached), the
/// answers join the replica, and the next round runs. A round that records
/// no scan read only complete keys, so its result is the query's. A query
/// costs about one round per level of dependent patterns, whatever the
/// number of outer bindings or subquery runs; with a materializer, the
/// attributes the plan is estimated to read most of are asked for whole in
/// the first round, so most queries cost one phase of fetches.
public final class RemoteDatabase: Sendable {
    let fetcher: any ScanFetcher
    /// The most rounds a query may take before it is stopped.
    public let maxRounds: Int
    /// Queries whose first round, run while their session opened, stood (for tests).
    let firstRoundsKept = Locked(0)

    /// Queries go through `materializer` (and share it with every other
    /// database built on it).
    public init(materializer: Materializer, maxRounds: Int = 64) {
        fetcher = materializer
        self.maxRounds = maxRounds
    }

    /// Queries send one request per scan to `source`, without a
    /// materializer: the baseline the materializer is measured against.
    public init(unmaterialized source: any DatomSource, maxRounds: Int = 64) {
        fetcher = DirectFetcher(source: source)
        self.maxRounds = maxRounds
    }

    /// The source the datoms live in.
    public var source: any DatomSource { fetcher.source }

    /// Runs a query given as EDN text (inputs as for ``Database/query(_:inputs:options:)-(String,_,_)``).
    ///
    /// Cancelling the calling task stops the query, its rounds and its
    /// waits for fetches (a fetch shared with other queries goes on for
    /// them); so does passing ``QueryOptions/deadline``. Either way the
    /// error is a ``QueryError`` whose ``QueryError/stop`` says which.
    public func query(_ text: String, inputs: [EDN] = [], options: QueryOptions = QueryOptions()) async throws -> QueryResult {
        try await options.observation.observe(text: text, position: nil, since: .now) {
            let form = try QueryParser.read(text)
            let query = try QueryParser.parse(form, depthChecked: true)
            return try await racingDeadline(query, inputs: inputs.map(QueryInput.edn), options: options) { replica in
                try replica.intern(constantsOf: form)
            }
        }
    }

    /// Runs a prepared query, as ``query(_:inputs:options:)`` runs text,
    /// throwing only ``QuarryError``. Each round plans afresh with what
    /// the replica holds by then: a remote query does not replay the
    /// prepared query's recorded plan.
    public func query(_ query: PreparedQuery, _ inputs: [QueryInput] = [],
                      options: QueryOptions = QueryOptions()) async throws(QuarryError) -> QueryResult {
        do {
            return try await options.observation.observe(text: query.text, position: query.observedPosition, since: .now) {
                try await racingDeadline(query.query, inputs: inputs, options: options) { replica in
                    try replica.intern(constantsOf: query.query)
                }
            }
        } catch {
            throw QuarryError(error)
        }
    }

    private func racingDeadline(_ query: Query, inputs: [QueryInput], options: QueryOptions,
                                intern: @escaping @Sendable (Replica) throws -> Void) async throws -> QueryResult {
        guard let deadline = options.deadline else {
            return try await rounds(query, inputs: inputs, options: options, intern: intern)
        }
        // The deadline races the rounds: whichever ends first cancels the other.
        return try await withThrowingTaskGroup(of: QueryResult?.self) { group in
            group.addTask { try await self.rounds(query, inputs: inputs, options: options, intern: intern) }
            group.addTask {
                // Woken early only by cancellation, which is then what stopped the query.
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { throw QueryError.cancelled }
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw QueryError.deadlinePassed }
            return result
        }
    }

    private func rounds(_ query: Query, inputs: [QueryInput], options: QueryOptions,
                        intern: (Replica) throws -> Void) async throws -> QueryResult {
        do {
            return try await roundsUnmapped(query, inputs: inputs, options: options, intern: intern)
        } catch is CancellationError {
            if let deadline = options.deadline, ContinuousClock.now >= deadline { throw QueryError.deadlinePassed }
            throw QueryError.cancelled
        }
    }

    private func roundsUnmapped(_ query: Query, inputs: [QueryInput], options: QueryOptions,
                                intern: (Replica) throws -> Void) async throws -> QueryResult {
        let start = ContinuousClock.now
        // Every round reads one snapshot of the store, described as of it
        // when the session read the description as it opened. Opening it
        // takes a round trip; meanwhile the first round runs with the
        // description the source read last, and stands if the session's
        // is the same (it usually is: it changes with writes). The query
        // is counted as coming before that round, so that concurrent
        // queries still wait for its scans.
        await fetcher.expectSession()
        async let opening = fetcher.openExpectedSession()
        let guess = source.latestDescription.flatMap { d -> (SourceDescription, Replica, Round)? in
            guard let replica = try? self.replica(d, inputs: inputs, intern: intern),
                  let first = try? round(query, inputs: inputs, options: options, replica: replica, start: start)
            else { return nil }
            return (d, replica, first)
        }
        let lease = try await opening
        do {
            let description = try await fetcher.description(of: lease)
            let result: QueryResult
            if let (guessed, replica, first) = guess, guessed == description {
                firstRoundsKept.withLock { $0 += 1 }
                result = try await roundsRead(query, inputs: inputs, options: options, replica: replica, lease: lease,
                                              start: start, first: first)
            } else {
                result = try await roundsRead(query, inputs: inputs, options: options,
                                              replica: replica(description, inputs: inputs, intern: intern), lease: lease,
                                              start: start, first: nil)
            }
            await lease.release()
            return result
        } catch {
            await lease.release()
            throw error
        }
    }

    /// An empty replica of a store `description` describes, holding the
    /// query's constants and inputs.
    private func replica(_ description: SourceDescription, inputs: [QueryInput],
                         intern: (Replica) throws -> Void) throws -> Replica {
        let replica = try Replica(source: source.name, description: description)
        try intern(replica)
        for input in inputs { try replica.intern(constantsOf: input) }
        return replica
    }

    /// One round's run over the replica as it stands: its outcome, and the
    /// scans it recorded for keys the replica lacks.
    private struct Round {
        let gate: ScanGate
        let headroom: Int?
        let outcome: Result<QueryResult, any Error>
    }

    private func round(_ query: Query, inputs: [QueryInput], options: QueryOptions, replica: Replica,
                       start: ContinuousClock.Instant) throws -> Round {
        let db = try replica.database()
        let headroom = options.memoryLimitBytes.map { max(0, Int(clamping: $0) - db.byteCount) }
        let gate = ScanGate(replica: replica, capsKeys: fetcher.takesWholeAttributes,
                            plansWhole: fetcher.plansWholeAttributes, headroomBytes: headroom)
        let outcome = Result { try QueryRun(query: query, database: db, inputs: inputs, options: options, start: start,
                                            gate: gate).run() }
        return Round(gate: gate, headroom: headroom, outcome: outcome)
    }

    /// The query's rounds through `lease`, from `first` when it ran already.
    private func roundsRead(_ query: Query, inputs: [QueryInput], options: QueryOptions, replica: Replica,
                            lease: ReadLease, start: ContinuousClock.Instant, first: Round?) async throws -> QueryResult {
        let clock = ContinuousClock()
        var remote = RemoteStats()
        var first = first
        while true {
            try Task.checkCancellation()
            remote.rounds += 1
            let run = try first ?? round(query, inputs: inputs, options: options, replica: replica, start: start)
            first = nil
            let (gate, headroom) = (run.gate, run.headroom)
            let scans = gate.requests
            if scans.isEmpty {
                var result = try run.outcome.get()
                result.stats.remote = remote
                result.stats.wallMilliseconds = Self.milliseconds(clock.now - start)
                if options.explain || options.analyze, !remote.requests.isEmpty {
                    result.plan += "\nfetched in \(remote.rounds - 1) phase\(remote.rounds == 2 ? "" : "s"):\n"
                        + remote.requests.map { "  " + $0 }.joined(separator: "\n")
                }
                return result
            }
            guard remote.rounds < maxRounds else {
                throw QueryError("the query still needed datoms from \(source.name) after \(maxRounds) rounds of fetches")
            }
            let began = clock.now
            let (results, report) = try await fetcher.fetch(scans, headroomBytes: headroom, lease: lease)
            remote.fetchMilliseconds += Self.milliseconds(clock.now - began)
            try replica.add(results)
            let m = report.metrics
            remote.scans += scans.count
            remote.roundTrips += m.roundTrips
            remote.rowsFetched += m.rowsFetched
            remote.bytesFetched += m.bytesFetched
            remote.flightsShared += m.flightsShared
            remote.cacheHits += m.cacheHits
            for (shape, reason) in gate.plannedWhole {
                let attribute = shape.attribute.map { replica.ident($0).description } ?? "every attribute"
                remote.requests.append("phase \(remote.rounds): \(attribute) whole, planned: \(reason)")
            }
            for r in report.requests {
                remote.requests.append("phase \(remote.rounds): \(r.shape), \(r.keys) key\(r.keys == 1 ? "" : "s"), "
                                       + "\(r.strategy.rawValue): \(r.reason)")
            }
        }
    }

    /// Applies transaction data through the materializer, which drops what
    /// the write touched; without one, straight to the source.
    public func transact(_ data: EDN) async throws -> WriteSummary {
        if let m = fetcher as? Materializer { return try await m.transact(data) }
        guard let writable = source as? any WritableDatomSource else { throw ScanError("\(source.name) cannot be written to") }
        return try await writable.transact(data)
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
