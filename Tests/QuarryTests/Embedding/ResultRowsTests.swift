import Quarry
import Testing

/// A result's rows, held flat: rows read as views of one array, compare
/// and hash by their values, and stand in for array literals.
@Suite struct ResultRowsTests {
    let db: Database
    init() throws { db = try EmbeddingFixture.people() }

    @Test func rowsReadTheirOwnValuesInColumnOrder() throws {
        let result = try db.query("[:find ?name ?age :where [?p :name ?name] [?p :age ?age]]")
        #expect(result.rows.count == 4)
        #expect(result.rows.values.count == 8)
        var seen: [String: Int64] = [:]
        for row in result.rows {
            #expect(row.count == 2 && row.startIndex == 0 && row.endIndex == 2)
            guard case .string(let name) = row[0], case .int(let age) = row[1] else {
                Issue.record("row \(row) is not a name and an age")
                continue
            }
            seen[name] = age
            #expect(Array(row) == [row[0], row[1]])
        }
        #expect(seen == ["Ann": 31, "Bo": 42, "Cy": 17, "Di": 42])
        // Row r's values lie at r * width in the flat array.
        for r in result.rows.indices {
            #expect(Array(result.rows[r]) == Array(result.rows.values[(2 * r)..<(2 * r + 2)]))
        }
    }

    @Test func rowsCompareAndHashByValues() throws {
        let result = try db.query("[:find ?age :where [_ :age ?age] [(> ?age 40)]]")
        #expect(result.rows == [[.int(42)]])
        #expect(result.rows[0] == [.int(42)])
        #expect(result.rows != [[.int(41)]])
        #expect(result.rows != [[.int(42)], [.int(42)]])
        // Equal rows from different storage are one member of a set.
        let built = ResultRows([[Value.int(42)]])
        #expect(Set([result.rows[0], built[0]]).count == 1)
        #expect(Set([result.rows, built]).count == 1)
        #expect(result.rows.description == "[[Quarry.Value.int(42)]]")
        #expect(result.rows.description == [[Value.int(42)]].description)
    }

    @Test func rowsOfDifferentWidthsKeepTheirEnds() {
        let rows: ResultRows = [[.int(1)], [], [.int(2), .int(3)], [.string("x")]]
        #expect(rows.count == 4)
        #expect(rows.map(Array.init) == [[.int(1)], [], [.int(2), .int(3)], [.string("x")]])
        #expect(rows[1].isEmpty && rows[2].count == 2)
        #expect(rows != [[.int(1)], [.int(2), .int(3)], [], [.string("x")]])
        let empty: ResultRows = []
        #expect(empty.isEmpty && empty.first == nil && empty.values.isEmpty)
        let widthZero: ResultRows = [[], []]
        #expect(widthZero.count == 2 && widthZero.allSatisfy(\.isEmpty))
    }

    @Test func findShapesKeepTheirRows() throws {
        let scalar = try db.query("[:find ?name . :where [?p :age 42] [?p :name ?name]]")
        #expect(scalar.rows.count == 1 && scalar.rows[0].count == 1)
        let collection = try db.query("[:find [?age ...] :where [_ :age ?age]]")
        #expect(Set(collection.rows.map { $0[0] }) == [.int(17), .int(31), .int(42)])
        let none = try db.query("[:find ?name :where [?p :age 99] [?p :name ?name]]")
        #expect(none.rows.isEmpty && none.rows == [])
    }
}
