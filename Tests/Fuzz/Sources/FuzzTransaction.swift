import Foundation
import Quarry

/// Transaction data on any text: a database or an error, never a trap;
/// a database that loads answers a query over all its datoms, and a
/// second transaction of the same data onto it succeeds or fails cleanly,
/// its report listing changes the database after it agrees with.
enum FuzzTransaction {
    static func run(_ data: Data) {
        guard let edn = try? EDNReader.readOne(String(decoding: data, as: UTF8.self)),
              let db = try? Database().transact(edn) else { return }
        _ = try? db.query("[:find ?e ?a ?v :where [?e ?a ?v]]", options: QueryOptions(deadline: .now + .seconds(2)))
        guard let report = try? db.transactReport(edn) else { return }
        for change in report.txData where change.added {
            if case .double(let d) = change.value, d.isNaN { continue }
            let rows = (try? report.dbAfter.query("[:find ?v :in $ ?e ?a :where [?e ?a ?v]]",
                                                  inputs: [EDN(.int(change.entity)), EDN(.keyword(change.attribute))]).rows) ?? []
            if !rows.contains(where: { $0[0] == change.value }) {
                fatalError("the report adds \(change) but the database after it lacks it")
            }
        }
    }
}
