import Foundation
@testable import Quarry
import QuarrySourceConformance
import Testing

/// The public source conformance suite, run against Quarry's own sources,
/// and against broken ones, which it must catch.
@Suite struct SourceConformanceTests {
    private static func temporaryPath() -> String {
        TemporaryFiles.path("conformance")
    }

    @Test func theInMemoryStoreConforms() async {
        let failures = await SourceConformance { data in try Database().transact(data) }.run()
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func sqliteConforms() async {
        let paths = Locked<[String]>([])
        let failures = await SourceConformance { data in
            let path = Self.temporaryPath()
            paths.withLock { $0.append(path) }
            _ = try await SQLiteSource.create(path: path, loading: data)
            return try SQLiteSource(path: path, mode: .readWrite)
        }.run()
        #expect(failures.isEmpty, "\(failures)")
        for p in paths.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: p) }
    }

    @Test func aSimulatedNetworkConforms() async {
        let failures = await SourceConformance { data in
            LatencySource(wrapping: try Database().transact(data), roundTrip: .zero, maxKeys: 700)
        }.run()
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func aSourceThatLosesRowsFails() async {
        let failures = await SourceConformance { data in Broken(inner: try Database().transact(data), fault: .losesLastRow) }
            .run(only: ["whole attributes", "by entity"])
        #expect(failures.count > 5)
        #expect(failures.allSatisfy { $0.message.contains("expected") })
    }

    @Test func aSourceThatMixesUpBindingsFails() async {
        let failures = await SourceConformance { data in Broken(inner: try Database().transact(data), fault: .reversesBindings) }
            .run(only: ["by entity"])
        // Rows out of binding order: ScanRows itself refuses them, or the suite sees them.
        #expect(failures.contains { $0.message.contains("out of binding order") || $0.message.contains("comes after") })
    }

    @Test func aSourceThatIgnoresFiltersFails() async {
        let failures = await SourceConformance { data in Broken(inner: try Database().transact(data), fault: .ignoresFilters) }
            .run(only: ["filters"])
        #expect(failures.contains { $0.message.contains("does not match") })
    }
}

/// A source that gets one thing wrong.
private struct Broken: DatomSource {
    enum Fault { case losesLastRow, reversesBindings, ignoresFilters }
    let inner: Database
    let fault: Fault

    var name: String { "broken" }
    func describe() async throws -> SourceDescription { try await inner.describe() }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        var request = request
        if fault == .ignoresFilters { request.shape.filter = ScanFilter() }
        let rows = try await inner.scan(request, account: account)
        let out = try ScanRows(projection: rows.projection)
        var kept = (0..<rows.count).map { i -> (Int, SourceDatom)? in
            let r = rows.row(i)
            let key = request.bindings[r.binding]
            func bound(_ p: Int) -> Value? { request.shape.parameters.indexes.firstIndex(of: p).map { key[$0] } }
            guard case .int(let e)? = r.e.map(Value.int) ?? bound(0) else { return nil }
            let a = r.a ?? request.shape.attributes.first ?? Keyword("?")
            guard let v = r.v ?? bound(2) else { return nil }
            return (r.binding, SourceDatom(e: e, a: a, v: v, tx: r.tx ?? 0))
        }.compactMap { $0 }
        switch fault {
        case .losesLastRow: if !kept.isEmpty { kept.removeLast() }
        case .reversesBindings: kept.reverse()
        case .ignoresFilters: break
        }
        for (b, d) in kept { try out.append(binding: b, d) }
        return out
    }
}
