import Foundation
import Testing
@testable import Quarry

/// Writers to one SQLite store, in one process or many, are serialized:
/// each resolves upserts and uniqueness against the state it replaces, so
/// a unique value is never held twice, and each write succeeds or fails
/// with a clear error (a unique conflict), never "database is locked".
@Suite("SQLite writers are serializable")
struct ConcurrentWriterTests {
    static let schema = """
        {:db/ident :p/uid :db/valueType :db.type/string :db/unique :db.unique/identity}
        {:db/ident :p/code :db/valueType :db.type/long :db/unique :db.unique/value}
        {:db/ident :p/tags :db/cardinality :db.cardinality/many}
        """

    static func entities(_ path: String, _ query: String) async throws -> [[Value]] {
        try await RemoteDatabase(unmaterialized: SQLiteSource(path: path)).query(query).rows.arrays
    }

    @Test func connectionsInOneProcess() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("s.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne("[\(Self.schema)]"))
        let writers = 8
        let outcomes = try await withThrowingTaskGroup(of: (Bool, Bool).self) { group in
            for i in 0..<writers {
                group.addTask {
                    let source = try SQLiteSource(path: path, mode: .readWrite)
                    let upsert = try? await source.transact(EDNReader.readOne(#"[{:p/uid "shared" :p/tags "\#(i)"}]"#))
                    let claim = try? await source.transact(EDNReader.readOne("[{:p/code 7 :p/by \(i)}]"))
                    return (upsert != nil, claim != nil)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0.0 })
        #expect(outcomes.filter { $0.1 }.count == 1)
        let shared = try await Self.entities(path, #"[:find ?e ?t :where [?e :p/uid "shared"] [?e :p/tags ?t]]"#)
        #expect(Set(shared.map { $0[0] }).count == 1 && shared.count == writers)
        #expect(try await Self.entities(path, "[:find ?e :where [?e :p/code 7]]").count == 1)
    }

    /// The `quarry` executable built beside the test binary.
    static func quarryExecutable() throws -> URL {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = me.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("quarry")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        throw StoreError("not found beside the test binary", path: "quarry")
    }

    /// Runs `quarry load` of each file into `path`, all at once; each
    /// one's exit status and standard error.
    static func loadAtOnce(_ files: [String], into path: String) throws -> [(status: Int32, error: String)] {
        let quarry = try quarryExecutable()
        let runs = try files.map { file -> (Process, Pipe) in
            let p = Process()
            p.executableURL = quarry
            p.arguments = ["load", file, "--into", path]
            let errors = Pipe()
            p.standardError = errors
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return (p, errors)
        }
        return runs.map { p, errors in
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
    }

    /// `quarry transact` run by many processes at once on one store: each
    /// waits its turn and commits against the store as the one before left
    /// it (through a `Connection`, which must be a file's only writer, 50
    /// of 72 such writes failed: another had written since it read).
    @Test func processesTransactingAtOnceAllCommit() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("s.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne("[\(Self.schema)]"))
        let quarry = try Self.quarryExecutable()
        let n = 12
        let runs = try (0..<n).map { i -> (Process, Pipe) in
            let p = Process()
            p.executableURL = quarry
            p.arguments = ["transact", "--db", path, #"[{:p/uid "shared" :p/tags "\#(i)"} {:db/id "own" :p/uid "own\#(i)"}]"#]
            let errors = Pipe()
            p.standardError = errors
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            return (p, errors)
        }
        for (p, errors) in runs {
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(text)")
        }
        let shared = try await Self.entities(path, #"[:find ?e ?t :where [?e :p/uid "shared"] [?e :p/tags ?t]]"#)
        #expect(Set(shared.map { $0[0] }).count == 1 && shared.count == n)
        #expect(try await Self.entities(path, "[:find ?e ?u :where [?e :p/uid ?u]]").count == n + 1)
    }

    @Test func processesLoadingIntoOneNewFile() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("s.sqlite")
        let n = 6
        var upserts: [String] = [], claims: [String] = []
        for i in 0..<n {
            upserts.append(folder.path("upsert\(i).edn"))
            try #"[\#(Self.schema) {:p/uid "shared" :p/tags "\#(i)"} {:p/uid "own\#(i)"}]"#
                .write(toFile: upserts[i], atomically: true, encoding: .utf8)
            claims.append(folder.path("claim\(i).edn"))
            try "[{:p/code 7 :p/by \(i)}]".write(toFile: claims[i], atomically: true, encoding: .utf8)
        }
        // Nothing at the path yet: one process creates the store, the others write into it.
        let upserted = try Self.loadAtOnce(upserts, into: path)
        #expect(upserted.allSatisfy { $0.status == 0 }, "\(upserted.map(\.error))")
        let shared = try await Self.entities(path, #"[:find ?e ?t :where [?e :p/uid "shared"] [?e :p/tags ?t]]"#)
        #expect(Set(shared.map { $0[0] }).count == 1 && shared.count == n)
        #expect(try await Self.entities(path, "[:find ?e ?u :where [?e :p/uid ?u]]").count == n + 1)

        let claimed = try Self.loadAtOnce(claims, into: path)
        #expect(claimed.filter { $0.status == 0 }.count == 1)
        for failed in claimed where failed.status != 0 {
            #expect(failed.error.contains("unique conflict") && !failed.error.contains("locked"), "\(failed.error)")
        }
        #expect(try await Self.entities(path, "[:find ?e :where [?e :p/code 7]]").count == 1)
    }
}
