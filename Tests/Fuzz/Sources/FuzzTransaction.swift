import Foundation
import Quarry

/// Transaction data on any text: a database or an error, never a trap;
/// a database that loads answers a query over all its datoms, and a
/// second transaction of the same data onto it succeeds or fails cleanly.
enum FuzzTransaction {
    static func run(_ data: Data) {
        guard let edn = try? EDNReader.readOne(String(decoding: data, as: UTF8.self)),
              let db = try? Database().transact(edn) else { return }
        _ = try? db.query("[:find ?e ?a ?v :where [?e ?a ?v]]", options: QueryOptions(deadline: .now + .seconds(2)))
        _ = try? db.transact(edn)
    }
}
