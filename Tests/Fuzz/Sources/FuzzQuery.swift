import Foundation
import Quarry

/// A whole query on a small database: parse, plan and run in every
/// subquery mode, under a deadline and a memory budget. The input is the
/// query, then optionally a line `;;in` and one EDN input per line. Modes
/// that all succeed must agree on the rows, and so must a prepared query
/// (first run planned, second replayed) and a cursor pulled to the end.
enum FuzzQuery {
    static let database: Database = {
        let people = """
            [{:db/ident :friend :db/cardinality :db.cardinality/many :db/valueType :db.type/ref}
             {:db/ident :tag :db/cardinality :db.cardinality/many}
             {:db/id 1 :name "Ivan" :age 15 :sex :male :salary 100.5 :friend [2 3] :tag ["a" "b"]}
             {:db/id 2 :name "Petr" :age 37 :sex :male :salary 200 :friend [3]}
             {:db/id 3 :name "Oleg" :age 37 :sex :male :friend [4]}
             {:db/id 4 :name "Anna" :age 22 :sex :female :salary 300.25 :born #inst "2001-02-03T04:05:06Z"}
             {:db/id 5 :name "Ivan" :age 11 :tag ["b" "c"]}]
            """
        return try! Database.load(edn: people)
    }()

    static func run(_ data: Data) {
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\n;;in\n")
        let query = parts[0]
        var inputs: [EDN] = []
        if parts.count > 1 {
            for line in parts[1].split(separator: "\n") {
                guard let edn = try? EDNReader.readOne(String(line)) else { return }
                inputs.append(edn)
            }
        }
        var agreed: Set<[String]>?
        for mode in SubqueryMode.allCases {
            let options = QueryOptions(explain: true, memoryLimitBytes: 64 << 20, subqueries: mode,
                                       deadline: .now + .seconds(2))
            guard let result = try? database.query(query, inputs: inputs, options: options) else { continue }
            let rows = Set(result.rows.map { $0.map(EDNWriter.write) })
            // :limit and scalar/tuple finds keep some rows, not a set every mode must equal.
            if query.contains(":limit") || query.contains("rand") || query.contains("sample") { continue }
            if result.shape == .scalar || result.shape == .tuple { continue }
            if let agreed, agreed != rows {
                fatalError("subquery mode \(mode) disagrees: \(rows.count) rows against \(agreed.count)")
            }
            agreed = rows
        }
        guard let agreed else { return }
        let prepared: PreparedQuery
        do {
            prepared = try PreparedQuery(query)
        } catch {
            fatalError("the query ran, but preparing it failed: \(error)")
        }
        let options = QueryOptions(memoryLimitBytes: 64 << 20, deadline: .now + .seconds(2))
        let given = inputs.map(QueryInput.edn)
        for run in ["first", "replayed"] {
            guard let result = try? database.query(prepared, given, options: options) else { continue }
            if Set(result.rows.map { $0.map(EDNWriter.write) }) != agreed { fatalError("the \(run) prepared run disagrees") }
        }
        guard let cursor = try? database.cursor(prepared, given, options: options) else { return }
        var rows: Set<[String]> = []
        do {
            while let row = try cursor.next() { rows.insert(row.values.map(EDNWriter.write)) }
        } catch {
            return // its deadline or budget: the whole runs above had theirs
        }
        if rows != agreed { fatalError("the cursor disagrees") }
    }
}
