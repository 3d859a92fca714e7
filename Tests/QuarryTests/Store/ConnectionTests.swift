import Foundation
import Testing
@testable import Quarry

/// `Connection`: one writer at a time against the current value, readers
/// that keep their value, reports in commit order, speculative `with`,
/// and a SQLite file that holds every committed transaction and no part
/// of another, even when its writer is killed.
@Suite struct ConnectionTests {
    private func edn(_ text: String) throws -> EDN { try EDNReader.readOne(text) }

    @Test func transactsAgainstTheCurrentValue() async throws {
        let conn = try Connection()
        let first = try await conn.transact(edn(#"[{:db/id "a" :n 1}]"#))
        let before = conn.db
        let second = try await conn.transact(edn("[[:db/add \(first.tempids[.string("a")]!) :n 2]]"))
        #expect(second.dbBefore === first.dbAfter && conn.db === second.dbAfter)
        #expect(try before.query("[:find ?n . :where [_ :n ?n]]").rows == [[.int(1)]])
        #expect(try conn.db.query("[:find ?n . :where [_ :n ?n]]").rows == [[.int(2)]])
        // A failed transaction changes nothing.
        await #expect(throws: (any Error).self) { try await conn.transact(edn("[[:db/add 1 :n]]")) }
        #expect(conn.db === second.dbAfter)
    }

    @Test func concurrentWritersAreSerialized() async throws {
        let conn = try Connection()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask { _ = try await conn.transact(try EDNReader.readOne("[{:item/n \(i)}]")) }
            }
            try await group.waitForAll()
        }
        #expect(try conn.db.query("[:find (count ?e) . :where [?e :item/n]]").rows == [[.int(50)]])
        #expect(try conn.db.query("[:find (count ?tx) . :where [?tx :db/txInstant]]").rows == [[.int(50)]])
    }

    @Test func listenersSeeEveryReportInCommitOrder() async throws {
        let conn = try Connection()
        let reports = conn.reports()
        let listener = Task {
            var seen: [Int64] = []
            for await r in reports {
                seen.append(r.tx)
                if seen.count == 20 { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<20 { group.addTask { _ = try await conn.transact(try EDNReader.readOne("[{:n \(i)}]")) } }
            try await group.waitForAll()
        }
        let seen = await listener.value
        #expect(seen == (0..<20).map { Database.firstTx + Int64($0) })
    }

    @Test func withDoesNotCommit() throws {
        let conn = try Connection(Database.load(edn: "[{:db/id 1 :n 1}]"))
        let before = conn.db
        let speculative = try conn.with(edn("[[:db/retractEntity 1]]"))
        #expect(try speculative.dbAfter.query("[:find ?e :where [?e :n]]").rows.isEmpty)
        #expect(conn.db === before)
    }

    @Test func aFileHoldsWhatWasCommitted() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("c.sqlite")
        do {
            let conn = try await Connection.open(path: path)
            try await conn.transact(edn(#"[{:db/ident :person/email :db/unique :db.unique/identity} {:person/email "a@x" :n 1}]"#))
            try await conn.transact(edn(#"[{:person/email "a@x" :n 2} {:person/email "b@x" :n 3}]"#))
            await #expect(throws: (any Error).self) { try await conn.transact(edn(#"[{:person/email "c@x" :n ##NaN}]"#)) }
            try await conn.transact(edn(#"[[:db/retractEntity [:person/email "b@x"]]]"#))
        }
        let reopened = try await Connection.open(path: path)
        let all = "[:find ?e ?a ?v ?tx :where [?e ?a ?v ?tx]]"
        #expect(try reopened.db.query(all).rows.count == 2)
        #expect(try reopened.db.query("[:find (count ?tx) . :where [?tx :db/txInstant]]").rows == [[.int(3)]])
        let more = try await reopened.transact(edn(#"[{:person/email "d@x"}]"#))
        #expect(more.tx == Database.firstTx + 3 && more.tempids.count == 1)
        // The file answers as the connection's value does.
        let source = try SQLiteSource(path: path)
        #expect(Set(try await RemoteDatabase(unmaterialized: source).query(all).rows) == Set(try reopened.db.query(all).rows))
    }

    @Test func anotherWriterMakesTheConnectionStop() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("c.sqlite")
        let conn = try await Connection.open(path: path)
        try await conn.transact(edn("[{:n 1}]"))
        let other = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await other.transact(edn("[{:n 2}]"))
        await #expect { try await conn.transact(edn("[{:n 3}]")) } throws: { "\($0)".contains("another writer changed the store") }
        #expect(try await Connection.open(path: path).db.query("[:find ?n :where [_ :n ?n]]").rows.count == 2)
    }

    /// Writers killed at random points: every transaction whose process
    /// said it committed is in the file, and no transaction is there in part.
    @Test func aKilledWriterLeavesWholeTransactions() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("c.sqlite")
        _ = try await Connection.open(path: path)
        let quarry = try ConcurrentWriterTests.quarryExecutable()
        var rng = SplitMix(seed: 7)
        var committed: [Int] = []
        let size = 2000
        for batch in 0..<16 {
            let items = (0..<size).map { "{:batch/id \(batch) :batch/item \($0)}" }.joined(separator: " ")
            let p = Process()
            p.executableURL = quarry
            p.arguments = ["transact", "--db", path, "[" + items + "]"]
            p.standardOutput = Pipe()
            p.standardError = Pipe()
            try p.run()
            // A random point of its run: before the file opens, while it writes, after it commits.
            usleep(UInt32.random(in: 0...200_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            if p.terminationReason == .exit && p.terminationStatus == 0 { committed.append(batch) }
        }
        let db = try await Connection.open(path: path).db
        let counts = try db.query("[:find ?b (count ?e) :where [?e :batch/id ?b]]").rows
        for row in counts { #expect(row[1] == .int(Int64(size)), "batch \(row[0]) is in part: \(row[1]) of \(size)") }
        let present = Set(counts.map { $0[0] })
        for b in committed { #expect(present.contains(.int(Int64(b))), "batch \(b) committed but missing") }
    }
}
