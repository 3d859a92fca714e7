/// What answers a round's scans: the materializer, or a plain loop that
/// sends one request per scan (the comparison without a materializer).
protocol ScanFetcher: Sendable {
    var source: any DatomSource { get }
    func sourceDescription() async throws -> SourceDescription
    func fetch(_ scans: [ScanRequest], headroomBytes: Int?) async throws -> ([ScanResult], Materializer.PhaseReport)
}

extension Materializer: ScanFetcher {}

/// No materializer: every scan the executor issues is its own request,
/// sent one after another, nothing shared and nothing kept.
struct DirectFetcher: ScanFetcher {
    let source: any DatomSource

    func sourceDescription() async throws -> SourceDescription { try await source.describe() }

    func fetch(_ scans: [ScanRequest], headroomBytes: Int?) async throws -> ([ScanResult], Materializer.PhaseReport) {
        var report = Materializer.PhaseReport()
        report.metrics.scans = scans.count
        var results: [ScanResult] = []
        for scan in scans {
            let limit = source.maxKeysPerRequest ?? max(1, scan.bindings.count)
            var slices: [ScanResult.Slice] = []
            for start in stride(from: 0, to: scan.bindings.count, by: limit) {
                let part = ScanRequest(shape: scan.shape,
                                       bindings: Array(scan.bindings[start..<min(scan.bindings.count, start + limit)]))
                let rows: ScanRows
                do {
                    rows = try await source.scan(part, account: CacheAccount.shared)
                } catch {
                    throw ScanError("scan of \(part.shape) (\(part.bindings.count) keys) from \(source.name) failed: \(error)")
                }
                report.metrics.roundTrips += 1
                report.metrics.rowsFetched += rows.count
                report.metrics.bytesFetched += rows.wireBytes
                report.requests.append((part.shape, part.bindings.count, .batched, "no materializer: one request per scan"))
                for (b, range) in rows.bindingRanges {
                    slices.append(.init(rows: rows, shape: part.shape, bindings: part.bindings, range: range, binding: start + b))
                }
            }
            results.append(ScanResult(request: scan, slices: slices))
        }
        return (results, report)
    }
}
