/// What answers a round's scans: the materializer, or a plain loop that
/// sends one request per scan (the comparison without a materializer).
protocol ScanFetcher: Sendable {
    var source: any DatomSource { get }
    /// Whether keys of a scan enough for ``ScanStrategy/keysForWholeAttribute(distinct:)``
    /// are fetched as the whole attribute (memory allowing), so that a round
    /// need not record more of them.
    var takesWholeAttributes: Bool { get }
    /// Whether a round requests whole the attributes its plan reads enough of
    /// (see ``ScanGate/expect(_:keys:)``).
    var plansWholeAttributes: Bool { get }
    func sourceDescription() async throws -> SourceDescription
    /// Counts a query as coming before its session opens (see
    /// ``openExpectedSession()``): concurrent queries then merge their
    /// first scans even when some run their first round while their
    /// sessions open.
    func expectSession() async
    /// The session a query counted by ``expectSession()`` reads all its
    /// rounds through.
    func openExpectedSession() async throws -> ReadLease
    /// Fetches a round's scans through `lease`'s session.
    func fetch(_ scans: [ScanRequest], headroomBytes: Int?, lease: ReadLease) async throws
        -> ([ScanResult], Materializer.PhaseReport)
}

extension ScanFetcher {
    /// The description a query reading through `lease` plans with: the
    /// session's own, read in its snapshot, else the source's.
    func description(of lease: ReadLease) async throws -> SourceDescription {
        if let own = lease.session.sourceDescription { return own }
        return try await sourceDescription()
    }

    /// A lease on a new session of the source, its errors in one line.
    func openLease(unarrived: (@Sendable () -> Void)?) async throws -> ReadLease {
        do {
            return ReadLease(try await source.openReadSession(), unarrived: unarrived)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ScanError("\(source.name) could not open a read session: \(error)")
        }
    }
}

extension Materializer: ScanFetcher {
    /// Counts the query as coming until its first phase
    /// (``BatchCoordinator/expected``): concurrent queries whose sessions
    /// open at slightly different times then merge their first scans.
    nonisolated func expectSession() async { await expectCaller() }

    /// The session of a query counted as coming; one that fails to open
    /// stops being waited for.
    nonisolated func openExpectedSession() async throws -> ReadLease {
        do {
            // Held strongly: the query holding the lease holds the materializer
            // anyway, and a weak reference's side table is a leak to LeakSanitizer
            // while the materializer lives (it cannot follow the encoded pointer).
            return try await openLease(unarrived: { Task { await self.callerArrived() } })
        } catch {
            await callerArrived()
            throw error
        }
    }

    nonisolated var takesWholeAttributes: Bool { true }
    nonisolated var plansWholeAttributes: Bool { options.planWholeAttributes }
}

/// No materializer: every scan the executor issues is its own request,
/// sent one after another, nothing shared and nothing kept.
struct DirectFetcher: ScanFetcher {
    let source: any DatomSource

    var takesWholeAttributes: Bool { false }
    var plansWholeAttributes: Bool { false }

    func expectSession() async {}
    func openExpectedSession() async throws -> ReadLease { try await openLease(unarrived: nil) }

    func sourceDescription() async throws -> SourceDescription { try await source.describe() }

    func fetch(_ scans: [ScanRequest], headroomBytes: Int?, lease: ReadLease) async throws
        -> ([ScanResult], Materializer.PhaseReport)
    {
        var report = Materializer.PhaseReport()
        report.metrics.scans = scans.count
        var results: [ScanResult] = []
        for scan in scans {
            var answer = ScanResult.Builder(request: scan)
            var start = 0
            for part in scan.split(atMost: source.maxKeysPerRequest ?? .max) {
                defer { start += part.bindings.count }
                let rows: ScanRows
                do {
                    rows = try await lease.session.scan(part, account: CacheAccount.shared)
                } catch {
                    throw ScanError.failed(part, from: source.name, error)
                }
                report.metrics.roundTrips += 1
                report.metrics.rowsFetched += rows.count
                report.metrics.bytesFetched += rows.wireBytes
                report.requests.append((part.shape, part.bindings.count, .batched, "no materializer: one request per scan"))
                answer.add(response: rows, shape: part.shape, bindings: part.bindings)
                for (b, range) in rows.bindingRanges {
                    answer.add(rows, shape: part.shape, bindings: part.bindings, range: range, binding: start + b)
                }
            }
            results.append(answer.result)
        }
        return (results, report)
    }
}
