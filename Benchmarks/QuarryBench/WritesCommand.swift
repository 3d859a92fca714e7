import ArgumentParser
import Foundation
import Quarry
import QuarryReport
import QuarryWorkloads

/// `quarry-bench writes`: what transactions into the in-memory store cost.
/// One-datom transactions into a large database, and DataScript's write
/// benchmarks on its people data (add-1, add-5, add-all, init, retract-5).
struct WritesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writes",
        abstract: "Transactions into the in-memory store: one datom into a large database, DataScript's write benchmarks."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "People of DataScript's write benchmarks (five datoms each).")
    var people = 20_000

    @Option(name: .long, help: "Datoms of the database the one-datom transactions go into.")
    var baseDatoms = 1_000_000

    @Option(name: .long, help: "One-datom transactions timed into that database (the median is reported).")
    var single = 20

    @Option(name: .long, help: "Seconds after which a workload of many transactions stops (and says how far it got).")
    var limitSeconds = 60.0

    struct Row: Encodable {
        var workload: String
        var transactions: Int
        var planned: Int
        var datoms: Int
        var totalMilliseconds: Double
        var microsecondsPerTransaction: Double
        var target: String
        var met: Bool?
    }

    /// Applies `transactions` one after another from `db`, stopping after
    /// `limit`: how many ran, in how many milliseconds, and the database left.
    static func run(_ transactions: [EDN], from db: Database, limit: Duration) throws -> (Int, Double, Database) {
        let clock = ContinuousClock()
        let start = clock.now
        var db = db, done = 0
        for tx in transactions {
            db = try db.transact(tx)
            done += 1
            if clock.now - start > limit { break }
        }
        return (done, milliseconds(clock.now - start), db)
    }

    func validate() throws {
        guard people >= 1, baseDatoms >= 5, single >= 1, limitSeconds > 0 else {
            throw ValidationError("--people, --base-datoms and --single must be positive, --limit-seconds above 0")
        }
    }

    func run() throws {
        common.warnIfDebug()
        var rows: [Row] = []

        // One datom into a large database: a median of single transactions.
        let base = PeopleWorkload(count: baseDatoms / 5)
        var db = try Database().transact(base.all)
        var times: [Double] = []
        for i in 0..<single {
            let tx = EDN(.vector([PeopleWorkload.add(Int64(i % base.people.count) + 1, Keyword("age"), .int(Int64(i)))]))
            times.append(try measure { db = try db.transact(tx) }.seconds * 1000)
        }
        let typical = median(times)
        rows.append(Row(workload: "one datom into \(Format.grouped(base.datoms)) datoms (median)", transactions: single,
                        planned: single, datoms: single, totalMilliseconds: times.reduce(0, +),
                        microsecondsPerTransaction: typical * 1000, target: "<= 50 µs (at 1,000,000)",
                        met: baseDatoms == 1_000_000 ? typical * 1000 <= 50 : nil))

        let workload = PeopleWorkload(count: people)
        let limit = Duration.seconds(limitSeconds)

        // add-1: every datom its own transaction, into a growing database.
        var (done, elapsed, _) = try Self.run(workload.people.flatMap { PeopleWorkload.forms($0).map { EDN(.vector([$0])) } },
                                              from: try Database(), limit: limit)
        rows.append(Row(workload: "add-1", transactions: done, planned: workload.datoms, datoms: done,
                        totalMilliseconds: elapsed, microsecondsPerTransaction: elapsed * 1000 / Double(max(1, done)),
                        target: "<= 2 s in total (20,000 people)",
                        met: people == 20_000 ? done == workload.datoms && elapsed <= 2000 : nil))

        // add-5: one transaction per person.
        (done, elapsed, _) = try Self.run(workload.people.map { EDN(.vector(PeopleWorkload.forms($0))) }, from: try Database(),
                                          limit: limit)
        rows.append(Row(workload: "add-5", transactions: done, planned: workload.people.count, datoms: done * 5,
                        totalMilliseconds: elapsed, microsecondsPerTransaction: elapsed * 1000 / Double(max(1, done)),
                        target: "", met: nil))

        // add-all: one transaction.
        let all = workload.all
        var full = try Database()
        elapsed = try measure { full = try full.transact(all) }.seconds * 1000
        rows.append(Row(workload: "add-all", transactions: 1, planned: 1, datoms: workload.datoms, totalMilliseconds: elapsed,
                        microsecondsPerTransaction: elapsed * 1000, target: "", met: nil))

        // init: a database from datoms.
        let datoms = workload.people.flatMap { p in
            zip(PeopleWorkload.attributes, p.values).map { SourceDatom(e: p.id, a: $0, v: $1, tx: Database.firstTx) }
        }
        elapsed = try measure { _ = try Database(datoms: datoms) }.seconds * 1000
        rows.append(Row(workload: "init", transactions: 1, planned: 1, datoms: datoms.count, totalMilliseconds: elapsed,
                        microsecondsPerTransaction: elapsed * 1000, target: "", met: nil))

        // retract-5: every person retracted, one transaction each.
        let retractions = workload.people.map { p in
            EDN(.vector([EDN(.vector([EDN(.keyword(Keyword("db/retractEntity"))), EDN(.int(p.id))]))]))
        }
        (done, elapsed, _) = try Self.run(retractions, from: full, limit: limit)
        rows.append(Row(workload: "retract-5", transactions: done, planned: workload.people.count, datoms: done * 5,
                        totalMilliseconds: elapsed, microsecondsPerTransaction: elapsed * 1000 / Double(max(1, done)),
                        target: "", met: nil))

        if common.json {
            try printJSON(rows)
            return
        }
        var t = Table(headers: ["workload", "transactions", "datoms", "total ms", "µs per transaction", "target", "met"],
                      rightAligned: [1, 2, 3, 4])
        for r in rows {
            let count = r.transactions == r.planned ? Format.grouped(r.transactions)
                : "\(Format.grouped(r.transactions)) of \(Format.grouped(r.planned)) (stopped)"
            t.append([r.workload, count, Format.grouped(r.datoms), Format.fixed(r.totalMilliseconds, 1),
                      Format.fixed(r.microsecondsPerTransaction, 1), r.target, r.met.map { $0 ? "yes" : "no" } ?? ""])
        }
        print(t.render())
    }
}
