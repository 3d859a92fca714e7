import Metrics

/// Sits between the executor and a datom source and turns a query's scans
/// into few round trips: scans of one phase that can travel together are
/// merged into one request (split at the key limit), a scan that an
/// in-flight request answers joins it as a follower, finished answers are
/// cached under a byte budget, and each batch is fetched with a strategy
/// chosen from memory pressure. Shared by every query on the source, so
/// concurrent queries share flights and cache too.
///
/// Leader and followers: a request is a *flight* that outlives the caller
/// that started it; every caller that needs it registers, and waits. A
/// caller that is cancelled leaves without disturbing the others; a flight
/// nobody is registered for any more is cancelled; a failed flight hands
/// every caller its error and is forgotten, so the next scan tries again.
public actor Materializer {
    /// The source the materializer fetches from.
    public nonisolated let source: any DatomSource
    /// How it batches, caches and shares.
    public nonisolated let options: Options
    private let clock: any Clock<Duration>
    /// Time since the materializer was made, on `clock`: cache entries' ages.
    private let elapsed: @Sendable () -> Duration
    private var cache: ResultCache
    private var flights: [Int: Flight] = [:]
    private var nextID = 0
    private var metrics = MaterializerMetrics()
    private var individual = LatencyHistogram()
    private var batched = LatencyHistogram()
    private var description: SourceDescription?
    /// The one `describe()` in the air: the write generation it started
    /// at, its answer, its task, and how many callers wait for it.
    private var describing: (generation: UInt64, answer: Awaited<SourceDescription>, task: Task<Void, Never>, waiting: Int)?
    /// Callers that have asked for a description (for tests).
    private(set) var describeCallers = 0
    private var writes = WriteGenerations()
    /// The snapshot the cached answers were read at (see ``cacheServes(_:)``).
    private var cacheSnapshot: UInt64?
    private let exported: ExportedMetrics
    /// Requests to the source in flight at once (``Options/maxRequestsInFlight``).
    private nonisolated let slots: RequestSlots
    /// Scans of independent callers merged while a request is in the air.
    private var coordinator: BatchCoordinator
    /// The deadline of the boarding round, if one is open.
    private var deadline: Task<Void, Never>?
    /// The task reading the source's write notices (a ``WriteAnnouncingSource``).
    private var listening: Task<Void, Never>?
    /// Writes announced since the cache's snapshot, by the version each
    /// made, with the attributes they touched (already dropped).
    private var announced: [UInt64: Set<Keyword>] = [:]
    /// Notices taken so far, and callers waiting for a number of them (tests).
    private(set) var noticesTaken = 0
    private var noticeWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// How a materializer batches and caches.
    public struct Options: Sendable {
        /// The most bindings in one request (the source's own limit applies too).
        public var maxKeysPerRequest: Int
        /// Bytes of answers kept for later scans; 0 keeps none.
        public var cacheBytes: Int
        /// Answers older than this are fetched again; nil keeps them until evicted.
        public var timeToLive: Duration?
        /// Whether a scan may join a flight another caller started.
        public var shareFlights: Bool
        /// Whether a remote query's round requests, at once and whole, every
        /// attribute its plan is estimated to read enough keys of for the
        /// whole attribute to be the better request, before the executor
        /// reaches the patterns (most queries then cost one phase). Off:
        /// keys are found as the executor reaches them, a phase per level
        /// of dependent patterns.
        public var planWholeAttributes: Bool
        /// The most requests sent to the source at once (below 1 counts as
        /// 1); later ones wait their turn, in the air for other scans to
        /// join, instead of piling onto the source.
        public var maxRequestsInFlight: Int
        /// Whether requests of independent callers that come while another
        /// is in the air wait for it to land and leave together, merged
        /// (waiting at most one measured round trip). A lone request never
        /// waits. Needs ``shareFlights``.
        public var batchAcrossCallers: Bool
        /// The round trip assumed until one is measured: how long the first
        /// requests board at most.
        public var assumedRoundTrip: Duration

        /// Options; every one has a default fit for a source a few milliseconds away.
        public init(maxKeysPerRequest: Int = 4096, cacheBytes: Int = 64 << 20, timeToLive: Duration? = nil,
                    shareFlights: Bool = true, planWholeAttributes: Bool = true, maxRequestsInFlight: Int = 8,
                    batchAcrossCallers: Bool = true, assumedRoundTrip: Duration = .milliseconds(1)) {
            self.maxKeysPerRequest = maxKeysPerRequest
            self.cacheBytes = cacheBytes
            self.timeToLive = timeToLive
            self.shareFlights = shareFlights
            self.planWholeAttributes = planWholeAttributes
            self.maxRequestsInFlight = maxRequestsInFlight
            self.batchAcrossCallers = batchAcrossCallers
            self.assumedRoundTrip = assumedRoundTrip
        }
    }

    /// `clock` times the cache's time to live and the latency histograms.
    public init(source: any DatomSource, options: Options = Options(), clock: any Clock<Duration> = ContinuousClock()) {
        self.source = source
        self.options = options
        self.clock = clock
        elapsed = Self.stopwatch(clock)
        cache = ResultCache(budgetBytes: options.cacheBytes, timeToLive: options.timeToLive)
        exported = ExportedMetrics(source: source.name)
        slots = RequestSlots(limit: options.maxRequestsInFlight)
        coordinator = BatchCoordinator(assumedRoundTrip: options.assumedRoundTrip)
    }

    /// Requests that waited for one of the ``Options/maxRequestsInFlight`` slots so far.
    public nonisolated var requestsQueued: Int { slots.queued }

    /// A snapshot of what the materializer has done.
    public var currentMetrics: MaterializerMetrics {
        var m = counters
        m.individualLatency = individual.summary
        m.batchedLatency = batched.summary
        return m
    }

    /// ``currentMetrics`` without the latency summaries, which cost a walk
    /// of the histograms: what a phase is measured with.
    private var counters: MaterializerMetrics {
        var m = metrics
        m.cacheEvictions = cache.evictions
        return m
    }

    /// Engine bytes of the cached answers.
    public var cachedBytes: Int { cache.bytes }

    /// The source's description, asked once: callers that come while it is
    /// asked wait for the same answer, and an answer asked before a write
    /// is handed to them but not kept (the next caller asks again). A
    /// caller that is cancelled stops waiting at once; when the last one
    /// has, the request is cancelled.
    public func sourceDescription() async throws -> SourceDescription {
        if let description { return description }
        let generation = writes.total
        let answer: Awaited<SourceDescription>
        if let d = describing, d.generation == generation {
            answer = d.answer
            describing!.waiting += 1
        } else {
            answer = Awaited()
            let task = Task.detached { [source] in
                let result: Result<SourceDescription, Error>
                do { result = .success(try await source.describe()) } catch { result = .failure(error) }
                await self.described(result, answer: answer, generation: generation)
            }
            describing = (generation, answer, task, 1)
        }
        describeCallers += 1
        do {
            return try await answer.wait(describeCallers)
        } catch is CancellationError {
            if let d = describing, d.answer === answer {
                describing!.waiting -= 1
                if d.waiting == 1 {
                    d.task.cancel()
                    describing = nil
                }
            }
            throw CancellationError()
        }
    }

    /// Keeps a description unless a write came while it was asked, then
    /// hands it to its callers.
    private func described(_ result: Result<SourceDescription, Error>, answer: Awaited<SourceDescription>,
                           generation: UInt64) {
        if describing?.answer === answer { describing = nil }
        if case .success(let d) = result, writes.total == generation { description = d }
        answer.land(result)
    }

    /// A write through Quarry: applied by the source, then every cached
    /// answer and every flight reading an attribute it touched is dropped,
    /// so no scan issued after the write sees what it replaced.
    public func transact(_ data: EDN) async throws -> WriteSummary {
        guard let writable = source as? any WritableDatomSource else {
            throw ScanError("\(source.name) cannot be written to")
        }
        let summary = try await writable.transact(data)
        invalidate(summary.attributes)
        return summary
    }

    /// Drops what the materializer holds for `attributes`: cache entries,
    /// and flights (which still answer those already waiting, but nobody
    /// new and not the cache). The source's description is asked again.
    public func invalidate(_ attributes: Set<Keyword>) {
        writes.record(attributes)
        metrics.cacheInvalidations += cache.invalidate(attributes)
        for (id, f) in flights where f.request.shape.attributes.isEmpty
            || !attributes.isDisjoint(with: f.request.shape.attributes) {
            f.stale = true
            flights[id] = nil
        }
        description = nil
    }

    // MARK: Fetching a phase

    /// What the materializer did for one phase.
    public struct PhaseReport: Sendable {
        /// Per request sent: its shape, keys, strategy and why.
        public var requests: [(shape: ScanShape, keys: Int, strategy: ScanStrategy, reason: String)] = []
        /// What this phase did: its scans and keys, cache hits and misses,
        /// flights joined, requests sent and the rows and bytes they
        /// returned (latency summaries are left empty: see ``currentMetrics``).
        public var metrics = MaterializerMetrics()
    }

    /// Answers every scan of one phase: the executor has issued all of
    /// them, so they are merged and sent at once, without waiting for a
    /// timer. `headroomBytes` is the memory the query may still use (nil:
    /// no budget), from which the strategy is chosen.
    ///
    /// The flights are joined and started on the actor, and waited for
    /// outside it: a landing flight resumes its callers directly, and the
    /// actor serves other callers meanwhile. A phase's only request is sent
    /// from the caller's own task (a lone scan then costs no task and no
    /// thread wake-up); other callers may join it all the same, and if
    /// this caller is cancelled first, the request is sent again for them
    /// in a task of its own.
    ///
    /// The scans read the source as it is when they run (no read session):
    /// a remote query fetches through the session it opened for all its
    /// rounds instead.
    public nonisolated func fetch(_ scans: [ScanRequest], headroomBytes: Int? = nil) async throws
        -> ([ScanResult], PhaseReport)
    {
        let lease = ReadLease(CurrentStateSession(source: source))
        defer { _ = lease.letGo() }
        return try await fetch(scans, headroomBytes: headroomBytes, lease: lease)
    }

    /// ``fetch(_:headroomBytes:)`` through a read session: the flights
    /// sent read its snapshot, and only flights and cached answers of
    /// that snapshot serve the scans.
    nonisolated func fetch(_ scans: [ScanRequest], headroomBytes: Int?, lease: ReadLease) async throws
        -> ([ScanResult], PhaseReport)
    {
        var phase = try await startPhase(scans, headroomBytes: headroomBytes, lease: lease)
        if let f = phase.leading { await fly(f, byLeader: true) }
        var remaining = phase.joined[...]
        do {
            while let (f, registration, uses) = remaining.first {
                let landing = try await f.wait(registration)
                remaining.removeFirst()
                phase.collect(landing, of: f, for: uses)
            }
        } catch {
            // Leave the rest when one fails (or this caller is cancelled).
            await leave(remaining)
            throw error
        }
        return (phase.answers.map(\.result), phase.report)
    }

    /// A scan of a phase a flight serves, and the bindings it serves (nil:
    /// all of them, from a whole answer).
    typealias Use = (scan: Int, bindings: [Int]?)
    /// A flight a phase joined: the caller's registration, and its uses.
    typealias Joined = (flight: Flight, registration: Int, uses: [Use])

    /// One phase's scans, their answers as they are collected, and the
    /// flights that serve them.
    struct Phase: Sendable {
        let scans: [ScanRequest]
        /// The session its requests are sent through.
        let lease: ReadLease
        var answers: [ScanResult.Builder]
        var report = PhaseReport()
        /// The flights this phase sent (its round trips).
        var sent: Set<Int> = []
        /// The flights joined, each once.
        private(set) var joined: [Joined] = []
        /// Each joined flight's entry in `joined`, by flight id.
        private var joinedIndex: [Int: Int] = [:]
        /// Flights started while planning, not yet sent; and the one the
        /// caller sends itself, when it is the phase's only request.
        var unlaunched: [Flight] = []
        var leading: Flight?

        init(scans: [ScanRequest], lease: ReadLease) {
            self.scans = scans
            self.lease = lease
            answers = scans.map { ScanResult.Builder(request: $0) }
        }

        /// Registers the caller on `f` (once) for `use`.
        mutating func join(_ f: Flight, _ use: Use) {
            let i = joinedIndex[f.id] ?? joined.count
            if i == joined.count {
                joinedIndex[f.id] = i
                joined.append((f, f.register(), []))
            }
            joined[i].uses.append(use)
        }

        /// The caller's registration on a joined flight.
        func registration(on f: Flight) -> Int? { joinedIndex[f.id].map { joined[$0].registration } }

        /// Adds a landed flight's rows to the answers of the scans it serves.
        mutating func collect(_ landing: Flight.Landing, of f: Flight, for uses: [Use]) {
            let rows = landing.rows, response = f.request
            if sent.contains(f.id) {
                report.metrics.rowsFetched += rows.count
                report.metrics.bytesFetched += rows.wireBytes
            }
            for (scan, bindings) in uses {
                let shape = scans[scan].shape
                answers[scan].add(response: rows, shape: response.shape, bindings: response.bindings)
                guard let bindings, response.shape.parameters == shape.parameters, !f.wholeAnswer else {
                    answers[scan].add(rows, shape: response.shape, bindings: response.bindings, range: 0..<rows.count,
                                      binding: nil)
                    continue
                }
                for j in bindings {
                    guard let k = f.keyIndex[response.shape.key(of: scans[scan].bindings[j], for: shape)] else { continue }
                    answers[scan].add(rows, shape: response.shape, bindings: response.bindings,
                                      range: landing.ranges[k] ?? 0..<0, binding: j)
                }
            }
        }
    }

    /// Joins or starts the flights of a phase's scans (a cached answer is
    /// collected at once); on an error, the flights joined so far are left.
    private func startPhase(_ scans: [ScanRequest], headroomBytes: Int?, lease: ReadLease) async throws -> Phase {
        let arriving = lease.counted && lease.arrive()
        if arriving { coordinator.expected -= 1 }
        // The last caller coming has boarded (or sent alone): the round leaves without its window.
        defer { if arriving, coordinator.waitsForNothing { departBoarding() } }
        var phase = Phase(scans: scans, lease: lease)
        let before = counters
        metrics.scans += scans.count
        do {
            try await plan(&phase, headroomBytes: headroomBytes)
        } catch {
            // Others may have joined the flights started so far.
            launchAll(&phase.unlaunched)
            leave(phase.joined)
            throw error
        }
        // What the phase did while it was planned; the rows and bytes of
        // its own requests are added as they are collected (and exported
        // as they land). Latency summaries are for the whole life (see
        // `currentMetrics`).
        var m = counters.since(before)
        (m.rowsFetched, m.bytesFetched) = (0, 0)
        exported.record(m)
        phase.report.metrics = m
        return phase
    }

    /// Bindings of one scan of a phase.
    typealias ScanBindings = (scan: Int, bindings: [Int])

    /// Serves each scan of `phase` from the cache, or joins it to a flight
    /// in the air or a new one (merged with the phase's other scans).
    ///
    /// Planning awaits at two kinds of points: for the description
    /// (first, before anything is looked up) and for each request of a
    /// partial strategy. Other callers run meanwhile, so after a partial
    /// request lands, what is left is looked up again: keys another caller
    /// has put in the air or in the cache since are not sent twice.
    private func plan(_ phase: inout Phase, headroomBytes: Int?) async throws {
        listenForWrites()
        let description = try await description(of: phase.lease)
        var unserved: [ScanBindings] = phase.scans.indices.map { ($0, Array(phase.scans[$0].bindings.indices)) }
        var firstPass = true
        // Requests chunked for memory stay chunked, by merged shape, until all their keys are sent.
        var chunked: [ScanShape: Int] = [:]
        while !unserved.isEmpty {
            let pending = lookUp(&phase, unserved, firstPass: firstPass, cached: cacheServes(phase.lease.snapshot))
            let (partial, left) = send(&phase, pending, description, headroomBytes: headroomBytes, chunked: &chunked)
            unserved = left
            firstPass = false
            guard let partial else { break }
            // Partial: one request at a time, so that only one answer is in
            // memory beyond what the caller holds (a failure shows when the
            // answers are collected; a cancellation stops the phase here).
            launchAll(&phase.unlaunched)
            launch(partial)
            if let r = phase.registration(on: partial) { _ = try? await partial.wait(r) }
            try Task.checkCancellation()
        }
        // A phase's only request is flown by its caller: no task to start,
        // and no hop to resume the caller when it lands.
        if phase.unlaunched.count == 1 { phase.leading = phase.unlaunched.removeLast() }
        launchAll(&phase.unlaunched)
    }

    /// Serves what it can of `unserved` from the cache and the flights in
    /// the air; returns the bindings left to send, by shape. After the
    /// first pass a scan already holds some answers, so only servers keyed
    /// like it are used (one keyed otherwise could hand it rows twice).
    /// `cached`: whether the cache holds answers of the phase's snapshot.
    private func lookUp(_ phase: inout Phase, _ unserved: [ScanBindings], firstPass: Bool,
                        cached: Bool) -> [ScanShape: [ScanBindings]] {
        let scans = phase.scans
        var pending: [ScanShape: [ScanBindings]] = [:]
        let now = elapsed()
        // What can serve a shape is found once per shape, not per binding.
        var servers: [ScanShape: (cached: [ScanShape], flights: [Flight])] = [:]
        for (i, wanted) in unserved {
            let scan = scans[i]
            if firstPass { metrics.keys += wanted.count }
            var found = servers[scan.shape]
                ?? (cached ? cache.candidates(for: scan.shape) : [], flights(serving: scan.shape, snapshot: phase.lease.snapshot))
            servers[scan.shape] = found
            if !firstPass {
                found.cached = found.cached.filter { $0.parameters == scan.shape.parameters }
                found.flights = found.flights.filter { $0.request.shape.parameters == scan.shape.parameters }
            }
            // An answer without keys serves every binding at once.
            // A binding looked up again was counted a miss the first time.
            let missed = firstPass ? 0 : 1
            if let s = found.cached.first(where: { $0.parameters.isEmpty }), let e = cache.entry(s, [], now: now) {
                metrics.cacheHits += wanted.count
                metrics.cacheMisses -= missed * wanted.count
                phase.answers[i].add(e.rows, shape: s, bindings: e.bindings, range: e.range, binding: nil)
                continue
            }
            if let f = found.flights.first(where: \.wholeAnswer) {
                metrics.cacheMisses += (1 - missed) * wanted.count
                metrics.flightsShared += 1
                phase.join(f, (i, nil))
                continue
            }
            var sharedHere = false
            var fresh: [Int] = []
            for j in wanted {
                let binding = scan.bindings[j]
                if let (s, e) = cachedEntry(found.cached, scan.shape, binding, now: now) {
                    metrics.cacheHits += 1
                    metrics.cacheMisses -= missed
                    let own = s.parameters == scan.shape.parameters
                    phase.answers[i].add(e.rows, shape: s, bindings: e.bindings, range: e.range, binding: own ? j : nil)
                    continue
                }
                metrics.cacheMisses += 1 - missed
                if let f = found.flights.first(where: { $0.keyIndex[$0.request.shape.key(of: binding, for: scan.shape)] != nil }) {
                    phase.join(f, (i, [j]))
                    // Flights in the air before this pass were started by other callers, or by this phase's last pass.
                    sharedHere = sharedHere || !phase.sent.contains(f.id)
                    continue
                }
                fresh.append(j)
            }
            if sharedHere { metrics.flightsShared += 1 }
            if !fresh.isEmpty { pending[scan.shape, default: []].append((i, fresh)) }
        }
        return pending
    }

    /// Starts the requests for `pending`: shapes that can travel together
    /// go in one request, each with the strategy its figures call for. A
    /// partial strategy stops the pass at its first request, returned to
    /// be awaited, with every binding not in it left for the next pass.
    private func send(_ phase: inout Phase, _ pending: [ScanShape: [ScanBindings]], _ description: SourceDescription,
                      headroomBytes: Int?, chunked: inout [ScanShape: Int])
        -> (partial: Flight?, left: [ScanBindings])
    {
        var groups: [[ScanShape]] = []
        for shape in pending.keys.sorted(by: { $0.description < $1.description }) {
            if let g = groups.firstIndex(where: { $0[0].merged(with: shape) != nil }) {
                groups[g].append(shape)
            } else {
                groups.append([shape])
            }
        }
        // Decided once for the pass: its own requests never wait for one another.
        let boardsNow = options.batchAcrossCallers && options.shareFlights && coordinator.shouldBoard
        for (g, group) in groups.enumerated() {
            let uses = group.flatMap { pending[$0]! }
            guard let merged = mergedRequest(group, uses, phase.scans) else { continue }
            let strategy: ScanStrategy, reason: String, chunkKeys: Int?
            if let chunk = chunked[merged.shape] {
                (strategy, reason, chunkKeys) = (.partial, "the rest of a chunked request", chunk)
            } else {
                let figures = strategyFigures(merged, description, consumers: uses.count, headroomBytes: headroomBytes)
                (strategy, reason, chunkKeys) = ScanStrategy.choose(figures)
                if strategy != .batched { metrics.strategySwitches[strategy.rawValue, default: 0] += 1 }
            }
            let requests = requests(for: merged, strategy: strategy, chunkKeys: chunkKeys)
            let sending = strategy == .partial ? requests.prefix(1) : requests[...]
            let boards = boardsNow && (strategy == .batched || strategy == .full)
            var last: Flight?
            // Boarding flights this group's uses joined: requests split from one group may board the same one.
            var boarded: Set<Int> = []
            for request in sending {
                let f: Flight
                if boards {
                    f = board(request, strategy: strategy, reason: reason, uses: uses.count, &phase, description,
                              headroomBytes: headroomBytes)
                    guard boarded.insert(f.id).inserted else { continue }
                } else {
                    f = start(request, strategy: strategy, lease: phase.lease)
                    phase.sent.insert(f.id)
                    phase.report.requests.append((request.shape, request.bindings.count, strategy, reason))
                    if strategy != .partial { phase.unlaunched.append(f) }
                }
                last = f
                for use in uses { phase.join(f, (use.scan, use.bindings)) }
            }
            guard strategy == .partial, let first = sending.first else { continue }
            chunked[merged.shape] = first.bindings.count
            let sent = Set(first.bindings)
            var left: [ScanBindings] = []
            for use in uses {
                let rest = use.bindings.filter { !sent.contains(phase.scans[use.scan].bindings[$0]) }
                if !rest.isEmpty { left.append((use.scan, rest)) }
            }
            for later in groups[(g + 1)...] { left += later.flatMap { pending[$0]! } }
            return (last, left)
        }
        return (nil, [])
    }

    /// The boarding flight `request` goes in: another caller's it merges
    /// into (see ``BatchCoordinator``), or a new one of this phase.
    private func board(_ request: ScanRequest, strategy: ScanStrategy, reason: String, uses: Int, _ phase: inout Phase,
                       _ description: SourceDescription, headroomBytes: Int?) -> Flight {
        let bytes = strategyFigures(request, description, consumers: uses, headroomBytes: headroomBytes).estimatedBytes
        if let (f, shape) = coordinator.flight(accepting: request, strategy: strategy, snapshot: phase.lease.snapshot,
                                               keyLimit: keyLimit, estimatedBytes: bytes, headroomBytes: headroomBytes) {
            f.absorb(request, shape: shape, generation: writes.stamp(shape.attributes), estimatedBytes: bytes,
                     headroomBytes: headroomBytes)
            if !phase.sent.contains(f.id) { metrics.requestsBoarded += 1 }
            return f
        }
        let f = start(request, strategy: strategy, lease: phase.lease, boarding: true, estimatedBytes: bytes,
                      headroomBytes: headroomBytes)
        phase.sent.insert(f.id)
        phase.report.requests.append((request.shape, request.bindings.count, strategy,
                                      reason + ", boarding while a request is in the air"))
        if coordinator.board(f) { setDeadline() }
        return f
    }

    /// The most bindings in one request.
    private var keyLimit: Int { min(options.maxKeysPerRequest, source.maxKeysPerRequest ?? .max) }

    /// A query opening its read session: counted as coming.
    func expectCaller() { coordinator.expected += 1 }

    /// A query counted as coming will not come: its session did not open,
    /// or it ended without a phase.
    func callerArrived() {
        coordinator.expected -= 1
        if coordinator.waitsForNothing { departBoarding() }
    }

    /// Departs the boarding round once its window has passed, if it has
    /// not left already (a request landing sends it first).
    private func setDeadline() {
        let round = coordinator.round, window = coordinator.window
        deadline?.cancel()
        deadline = Task.detached { [clock] in
            do { try await clock.sleep(for: window) } catch { return }
            await self.departBoarding(round: round)
        }
    }

    /// Sends every boarding flight (of `round`, if given); those every
    /// caller has left are dropped unsent.
    private func departBoarding(round: Int? = nil) {
        guard round == nil || round == coordinator.round, !coordinator.boarding.isEmpty else { return }
        deadline?.cancel()
        deadline = nil
        let (leaving, dropped) = coordinator.departAll()
        for f in dropped {
            metrics.roundTrips -= 1
            if flights[f.id] === f { flights[f.id] = nil }
            letGo(f)
            f.land(.failure(CancellationError()))
        }
        for f in leaving { launch(f) }
    }

    private func launchAll(_ flights: inout [Flight]) {
        for f in flights { launch(f) }
        flights.removeAll()
    }

    /// The cached entry serving `binding` of `shape`, among `candidates`.
    private func cachedEntry(_ candidates: [ScanShape], _ shape: ScanShape, _ binding: [Value], now: Duration)
        -> (ScanShape, ResultCache.Entry)?
    {
        for s in candidates {
            if let e = cache.entry(s, s.key(of: binding, for: shape), now: now) { return (s, e) }
        }
        return nil
    }

    /// One request for the pending bindings of shapes that travel together,
    /// each binding once.
    private func mergedRequest(_ group: [ScanShape], _ uses: [ScanBindings], _ scans: [ScanRequest])
        -> ScanRequest?
    {
        guard let shape = ScanShape.merged(group) else { return nil }
        var distinct = DistinctBindings(capacity: uses.reduce(0) { $0 + $1.bindings.count })
        for use in uses {
            for j in use.bindings { _ = distinct.index(of: scans[use.scan].bindings[j]) }
        }
        return ScanRequest(shape: shape, bindings: distinct.bindings)
    }

    /// The requests that fetch `merged` with `strategy`.
    private func requests(for merged: ScanRequest, strategy: ScanStrategy, chunkKeys: Int?) -> [ScanRequest] {
        if strategy == .full {
            let s = merged.shape
            let shape = ScanShape(source: s.source, attributes: s.attributes, parameters: [], parameterKinds: [],
                                  projection: s.projection.union(s.parameters), filter: s.filter)
            return [ScanRequest(shape: shape, bindings: [[]])]
        }
        return merged.split(atMost: min(keyLimit, chunkKeys ?? .max))
    }

    private func strategyFigures(_ r: ScanRequest, _ d: SourceDescription, consumers: Int,
                                 headroomBytes: Int?) -> ScanStrategy.Figures {
        let figures = r.shape.attributes.compactMap { d.figures[$0] }
        // Saturating: a source's figures may be as large as an Int holds.
        let datoms = r.shape.attributes.isEmpty ? d.datoms : figures.reduce(0) { sum, f in
            let (total, overflow) = sum.addingReportingOverflow(f.datoms)
            return overflow ? .max : total
        }
        var perKey = Double(datoms)
        var distinct: Int?
        switch r.shape.parameters {
        case []: break
        case [.e]:
            distinct = figures.map(\.distinctEntities).max()
            perKey /= Double(max(1, distinct ?? Int(d.maxEntity)))
        case [.v]:
            distinct = figures.map(\.distinctValues).max()
            perKey /= Double(max(1, distinct ?? 1))
        default:
            perKey = 1
        }
        return ScanStrategy.Figures(keys: r.bindings.count, estimatedRows: perKey * Double(r.bindings.count),
                                    rowBytes: r.shape.estimatedRowBytes, distinctKeys: r.shape.attributes.isEmpty ? nil : distinct,
                                    attributeRows: r.shape.attributes.isEmpty || distinct == nil ? nil : datoms,
                                    consumers: consumers, headroomBytes: headroomBytes, cacheBytes: options.cacheBytes)
    }

    /// A reading of `clock`'s time since now (the clock's instant type stays inside).
    private static func stopwatch<C: Clock>(_ clock: C) -> @Sendable () -> Duration where C.Duration == Duration {
        let start = clock.now
        return { start.duration(to: clock.now) }
    }

    // MARK: Flights

    /// The flights in the air reading `snapshot` that can answer scans of
    /// `shape`, oldest first.
    private func flights(serving shape: ScanShape, snapshot: UInt64?) -> [Flight] {
        guard options.shareFlights else { return [] }
        return flights.values.filter { $0.lease.snapshot == snapshot && $0.request.shape.canSatisfy(shape) }
            .sorted { $0.id < $1.id }
    }

    /// Whether the cache serves (and keeps) answers of `snapshot`. It
    /// holds one snapshot's answers: the newest a session has read, or
    /// those of sessions without one (``DatomReadSession/snapshot`` nil)
    /// until a session with one comes. A newer snapshot empties it, since
    /// the store has changed since the answers were read, by whichever
    /// writer; sessions still reading an older one fetch without it.
    private func cacheServes(_ snapshot: UInt64?) -> Bool {
        guard let snapshot else { return cacheSnapshot == nil }
        if let current = cacheSnapshot, snapshot <= current { return snapshot == current }
        // Every write since the cache's snapshot announced, its attributes
        // dropped already: the rest of the cache holds at the new one too.
        var allAnnounced = false
        if let current = cacheSnapshot, snapshot - current <= UInt64(announced.count) {
            allAnnounced = (current + 1...snapshot).allSatisfy { announced[$0].map { !$0.isEmpty } ?? false }
        }
        if !allAnnounced { metrics.cacheInvalidations += cache.removeAll() }
        announced = announced.filter { $0.key > snapshot }
        cacheSnapshot = snapshot
        return true
    }

    /// Starts reading the source's write notices, once.
    private func listenForWrites() {
        // Without a cache there is nothing a notice could keep.
        guard listening == nil, options.cacheBytes > 0, let announcing = source as? any WriteAnnouncingSource else { return }
        let notices = announcing.writeNotices()
        listening = Task { [weak self] in
            for await notice in notices {
                guard let self else { return }
                await self.take(notice)
            }
        }
    }

    /// A write another client (or this one) committed: what it touched is
    /// dropped now, and noted so that the next snapshot keeps the rest.
    private func take(_ notice: SourceWriteNotice) {
        if notice.attributes.isEmpty {
            metrics.cacheInvalidations += cache.removeAll()
            description = nil
        } else {
            invalidate(notice.attributes)
        }
        if let current = cacheSnapshot, notice.snapshot > current { announced[notice.snapshot] = notice.attributes }
        noticesTaken += 1
        let ready = noticeWaiters.filter { $0.count <= noticesTaken }
        noticeWaiters.removeAll { $0.count <= noticesTaken }
        for w in ready { w.continuation.resume() }
    }

    /// Returns once `count` write notices have been taken (tests).
    func waitForNotices(_ count: Int) async {
        if noticesTaken >= count { return }
        await withCheckedContinuation { noticeWaiters.append((count, $0)) }
    }

    deinit { listening?.cancel() }

    /// A flight for `request`, in the air for joining; it is sent when
    /// launched, or flown by the caller that started it, or (`boarding`)
    /// when its boarding round departs.
    private func start(_ request: ScanRequest, strategy: ScanStrategy, lease: ReadLease, boarding: Bool = false,
                       estimatedBytes: Double = 0, headroomBytes: Int? = nil) -> Flight {
        nextID += 1
        let f = Flight(id: nextID, request: request, strategy: strategy,
                       generation: writes.stamp(request.shape.attributes), lease: lease, boarding: boarding,
                       estimatedBytes: estimatedBytes, headroomBytes: headroomBytes)
        flights[f.id] = f
        metrics.roundTrips += 1
        if !boarding { coordinator.tookOff() }
        return f
    }

    /// Sends a flight's request in a task of its own: it outlives the
    /// caller that started it, and leaves without waiting for this actor.
    private func launch(_ f: Flight) {
        f.task = Task.detached { await self.fly(f, byLeader: false) }
    }

    /// Sends a flight's request and books its answer. `byLeader`: flown in
    /// the task of the caller that started it (see ``fetch(_:headroomBytes:)``).
    private nonisolated func fly(_ f: Flight, byLeader: Bool) async {
        var result: Result<ScanRows, Error> = .failure(CancellationError())
        var took: Duration?
        do {
            // The wait for a slot is not the request's latency.
            try await slots.acquire()
            defer { slots.release() }
            took = await clock.measure {
                do {
                    result = .success(try await f.lease.session.scan(f.request, account: CacheAccount.shared))
                } catch {
                    result = .failure(error)
                }
            }
        } catch {
            result = .failure(error)
        }
        await finish(f, result, took: took, leaderCancelled: byLeader && Task.isCancelled)
    }

    /// Books a flight's answer (latency, counts, cache), forgets the
    /// flight, then lands it: its callers resume where they wait, outside
    /// the actor, and find the counts already booked.
    private func finish(_ f: Flight, _ result: Result<ScanRows, Error>, took: Duration?, leaderCancelled: Bool) {
        if leaderCancelled, case .failure = result {
            // Its leader was cancelled: the other callers keep the flight,
            // sent again in a task of its own; with none, it is cancelled.
            if f.registered.count > 1 {
                metrics.roundTrips += 1
                return launch(f)
            }
            if flights[f.id] === f { flights[f.id] = nil }
            metrics.flightsCancelled += 1
            letGo(f)
            landed()
            return f.land(.failure(CancellationError()))
        }
        // A flight cancelled while it waited for a slot was never sent: no latency.
        if let took {
            if f.request.bindings.count == 1 { individual.record(took) } else { batched.record(took) }
            coordinator.measured(took)
        }
        let landing: Result<Flight.Landing, Error>
        switch result {
        case .success(let rows):
            var ranges: [Int: Range<Int>] = [:]
            for (b, r) in rows.bindingRanges { ranges[b] = r }
            metrics.rowsFetched += rows.count
            metrics.bytesFetched += rows.wireBytes
            exported.landed(rows)
            if !f.stale, writes.stamp(f.request.shape.attributes) == f.generation, f.lease.snapshot == cacheSnapshot,
               f.strategy == .batched || f.strategy == .full {
                cache.store(rows, of: f.request, ranges: ranges, now: elapsed())
            }
            landing = .success(Flight.Landing(rows: rows, ranges: ranges))
        case .failure(let error):
            landing = .failure(ScanError.failed(f.request, from: source.name, error))
        }
        if flights[f.id] === f { flights[f.id] = nil }
        letGo(f)
        landed()
        f.land(landing)
    }

    /// A request is back: the scans that boarded while it was in the air leave.
    private func landed() {
        coordinator.landed()
        departBoarding()
    }

    /// A landed flight lets go of its session; the last holder closes it,
    /// in a task of its own (the query that opened it has ended).
    private func letGo(_ f: Flight) {
        if f.lease.letGo() {
            let session = f.lease.session
            Task.detached { await session.close() }
        }
    }

    /// Drops a caller's registrations; a flight left with none is cancelled.
    private func leave(_ joined: some Collection<Joined>) {
        for (f, registration, _) in joined {
            f.abandon(registration)
            f.registered.remove(registration)
            guard f.registered.isEmpty, !f.hasLanded else { continue }
            // A source may finish a cancelled request: its answer, read
            // while nobody could see a write land, is not cached.
            f.stale = true
            f.task?.cancel()
            if flights[f.id] === f { flights[f.id] = nil }
            metrics.flightsCancelled += 1
        }
    }

    /// Flights in the air now (for tests and EXPLAIN).
    public var flightsInAir: Int { flights.count }

    /// How long a request boards at most now (for tests).
    var boardingWindow: Duration { coordinator.window }

    /// Callers registered on flights in the air.
    public var callersWaiting: Int { flights.values.reduce(0) { $0 + $1.registered.count } }
}

/// The account cached answers are charged to: one per process, so that
/// `MemoryStats` shows the materializers' bytes apart from queries'.
enum CacheAccount {
    static let shared: MemoryAccount? = try? MemoryAccount()
}

/// The figures exported through swift-metrics, per source.
struct ExportedMetrics: Sendable {
    let roundTrips, rows, bytes, cacheHits, cacheMisses, flightsShared, switches: Counter

    init(source: String) {
        let dimensions = [("source", source)]
        roundTrips = Counter(label: "quarry_materializer_round_trips", dimensions: dimensions)
        rows = Counter(label: "quarry_materializer_rows_fetched", dimensions: dimensions)
        bytes = Counter(label: "quarry_materializer_bytes_fetched", dimensions: dimensions)
        cacheHits = Counter(label: "quarry_materializer_cache_hits", dimensions: dimensions)
        cacheMisses = Counter(label: "quarry_materializer_cache_misses", dimensions: dimensions)
        flightsShared = Counter(label: "quarry_materializer_flights_shared", dimensions: dimensions)
        switches = Counter(label: "quarry_materializer_strategy_switches", dimensions: dimensions)
    }

    /// A phase's counts, as planned (rows and bytes come as they land).
    func record(_ m: MaterializerMetrics) {
        roundTrips.increment(by: m.roundTrips)
        cacheHits.increment(by: m.cacheHits)
        cacheMisses.increment(by: m.cacheMisses)
        flightsShared.increment(by: m.flightsShared)
        switches.increment(by: m.strategySwitches.values.reduce(0, +))
    }

    /// Rows and bytes of a request that landed.
    func landed(_ r: ScanRows) {
        rows.increment(by: r.count)
        bytes.increment(by: r.wireBytes)
    }
}
