import Foundation
import Testing
@_spi(Testing) @testable import Quarry

/// SQLite's work runs on the source's own thread, off Swift's cooperative
/// pool, and a cancelled task's scan stops where its statement is
/// (`sqlite3_interrupt`), without touching another caller's statement.
@Suite struct SQLiteCancellationTests {
    private static let rows = 10_000

    private func store(_ folder: SQLiteFileTests.Folder) async throws -> SQLiteSource {
        let path = folder.path("store.db")
        var tx = "["
        for i in 0..<Self.rows { tx += "{:db/id \(i + 1) :n \(i)}\n" }
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne(tx + "]"))
        return try SQLiteSource(path: path)
    }

    private func wholeAttribute(_ source: SQLiteSource) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: source.name, attributes: [Keyword("n")], parameters: [], parameterKinds: []),
                    bindings: [[]])
    }

    @Test func aCancelledScanStopsInItsStatement() async throws {
        let folder = try SQLiteFileTests.Folder()
        let source = try await store(folder)
        let request = wholeAttribute(source)
        let seen = Locked(0)
        await source.observeScanRows { n in
            seen.withLock { $0 = n }
            if n == 100 { withUnsafeCurrentTask { $0?.cancel() } }
        }
        let task = Task { try await source.scan(request, account: nil) }
        await #expect(throws: CancellationError.self) { try await task.value }
        // The interrupt stopped the statement at once: no row was read after the cancel.
        #expect(seen.withLock { $0 } == 100)
        // The next scan runs whole.
        await source.observeScanRows(nil)
        #expect(try await source.scan(request, account: nil).count == Self.rows)
        #expect(await source.runsOnOwnThread())
    }

    @Test func aTaskCancelledBeforeItsTurnSendsNothing() async throws {
        let folder = try SQLiteFileTests.Folder()
        let source = try await store(folder)
        let request = wholeAttribute(source)
        let before = await source.statements
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await source.scan(request, account: nil)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await source.statements == before)
    }
}
