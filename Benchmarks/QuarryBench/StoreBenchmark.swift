import Foundation
import Quarry
import QuarryReport

/// The scenarios of `quarry-bench store`: writes into a SQLite store, at
/// two store sizes, so that what a write costs can be told apart from how
/// much the store holds.
struct StoreBenchmark {
    /// Entities of the larger store (three datoms each); the smaller holds a tenth.
    let entities: Int
    /// Writes timed per scenario.
    let writes: Int

    struct Row: Encodable {
        var scenario: String
        var storeDatoms: Int
        var datomsWritten: Int
        var medianMilliseconds: Double
        var p90Milliseconds: Double
    }

    struct Report: Encodable {
        var machine = MachineInfo()
        var rows: [Row] = []
        var targets: [TargetCheck] = []
    }

    /// `n` items: a unique identity, a name and a price each.
    static func items(_ range: Range<Int>) -> String {
        "[{:db/ident :item/id :db/valueType :db.type/long :db/unique :db.unique/identity}\n"
            + range.map { "{:item/id \($0) :item/name \"n\($0)\" :item/price \($0 % 97).5}" }.joined(separator: "\n") + "]"
    }

    func run() async throws -> Report {
        var report = Report()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-bench-store-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var oneDatom: [Int: Double] = [:]
        for n in [entities / 10, entities] {
            let data = try EDNReader.readOne(Self.items(0..<n))
            // A new store, loaded whole: three runs, each into a new file.
            var loads: [Double] = []
            var path = ""
            for run in 0..<3 {
                path = folder.appendingPathComponent("store-\(n)-\(run).sqlite").path
                let started = ContinuousClock.now
                guard let summary = try await SQLiteSource.create(path: path, loading: data),
                      summary.datoms == 3 * n else { throw ScanError("the load of \(n) items did not write \(3 * n) datoms") }
                loads.append(Self.milliseconds(since: started))
            }
            report.rows.append(row("load into a new store", store: 0, written: 3 * n, loads))
            let store = try SQLiteSource(path: path, mode: .readWrite)
            // One datom replaced through an upsert (a retraction and an assertion).
            var upserts: [Double] = []
            for i in 0..<writes {
                let started = ContinuousClock.now
                let s = try await store.transact(EDNReader.readOne("[{:item/id \(i * 7 % n) :item/price \(i).25}]"))
                upserts.append(Self.milliseconds(since: started))
                guard s.datoms == 2 else { throw ScanError("an upsert wrote \(s.datoms) datoms, not 2") }
            }
            report.rows.append(row("one-datom upsert", store: 3 * n, written: 2, upserts))
            oneDatom[n] = median(upserts)
            // A thousand upserts in one transaction.
            var batches: [Double] = []
            for b in 0..<3 {
                let forms = (0..<1000).map { "{:item/id \(($0 * 13 + b) % n) :item/name \"b\(b)-\($0)\"}" }
                let started = ContinuousClock.now
                _ = try await store.transact(EDNReader.readOne("[" + forms.joined(separator: " ") + "]"))
                batches.append(Self.milliseconds(since: started))
            }
            report.rows.append(row("1,000 upserts in one transaction", store: 3 * n, written: 2000, batches))
            let count = try await RemoteDatabase(unmaterialized: store).query("[:find (count ?e) . :where [?e :item/id _]]").rows
            guard count == [[.int(Int64(n))]] else { throw ScanError("the store holds \(count) items, not \(n)") }
        }
        let small = oneDatom[entities / 10] ?? .nan, large = oneDatom[entities] ?? .nan
        report.targets.append(TargetCheck(
            target: "one-datom write: the same cost in a store 10x larger (<= 2x)",
            measured: "\(Format.fixed(small, 2)) ms at \(Format.grouped(3 * entities / 10)) datoms, "
                + "\(Format.fixed(large, 2)) ms at \(Format.grouped(3 * entities)) (\(Format.fixed(large / small, 2))x)",
            met: large <= 2 * small))
        return report
    }

    private func row(_ scenario: String, store: Int, written: Int, _ times: [Double]) -> Row {
        let sorted = times.sorted()
        return Row(scenario: scenario, storeDatoms: store, datomsWritten: written, medianMilliseconds: median(times),
                   p90Milliseconds: sorted[min(sorted.count - 1, sorted.count * 9 / 10)])
    }

    private static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start) / .milliseconds(1)
    }
}
