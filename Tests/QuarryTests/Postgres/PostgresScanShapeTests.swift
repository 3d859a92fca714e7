#if Postgres
import Foundation
@_spi(Stores) import Quarry
@testable import QuarryPostgres
import Testing

/// A scan without keys reads each small attribute whose values have one
/// known tag (declared, or seen when last read whole) in a branch of its
/// own that sends no tags; a branch that finds a datom of another tag is
/// read again in general, so a wrong guess costs a statement, never a
/// datom.
@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresScanShapeTests {
    private static let data = """
        [{:db/ident :item/n :db/valueType :db.type/long} {:db/ident :item/name :db/valueType :db.type/string}
         {:db/ident :item/ref :db/valueType :db.type/ref}
         {:db/id 1 :item/n 1 :item/w 1.25 :item/name "one" :item/ref 2}
         {:db/id 2 :item/n 2 :item/w 2.5 :item/name "two" :item/ref 3}
         {:db/id 3 :item/n 3 :item/w 3.75 :item/name "three"}]
        """
    private static let attributes = ["item/n", "item/name", "item/ref", "item/w"].map(Keyword.init)

    private static func whole(_ source: PostgresSource, _ attributes: [Keyword] = attributes,
                              projection: PositionSet = [.e, .a, .v]) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: source.name, attributes: attributes, parameters: [], parameterKinds: [],
                                     projection: projection), bindings: [[]])
    }

    /// The datoms of `request` as (e, a, v), sorted, and the scans it took.
    private static func datoms(_ source: PostgresSource, _ request: ScanRequest) async throws
        -> (datoms: [String], scans: Int) {
        let before = source.scans
        let rows = try await source.scan(request, account: nil)
        let datoms = (0..<rows.count).map { i -> String in
            let r = rows.row(i)
            return "\(r.e ?? -1) \(r.a.map(String.init(describing:)) ?? "?") \(r.v.map(EDNWriter.write) ?? "?")"
        }
        return (datoms.sorted(), source.scans - before)
    }

    @Test func typedAttributesAreReadInBranchesAndStraysAreReadAgain() async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        _ = try await source.describe()
        let known = source.storedAttributes.withLock { $0 }
        #expect(known[Keyword("item/n")]?.declaredTag == PostgresValues.storedTag(.int))
        #expect(known[Keyword("item/ref")]?.declaredTag == PostgresValues.storedTag(.int))
        #expect(known[Keyword("item/name")]?.declaredTag == PostgresValues.storedTag(.string))
        #expect(known[Keyword("item/w")]?.declaredTag == nil)
        let statement = try PostgresScanStatement(Self.whole(source), stored: known)
        #expect(Set(statement.typedTags.keys) == ["item/n", "item/name", "item/ref"])
        let first = try await Self.datoms(source, Self.whole(source))
        #expect(first.scans == 1)
        #expect(first.datoms.count == 11)
        #expect(first.datoms.contains("2 :item/name \"two\"") && first.datoms.contains("1 :item/w 1.25"))
        // Another client stores a string under the long attribute: read again, nothing lost.
        try await PostgresServer.execute("""
            INSERT INTO quarry_datoms (e, a, vt, vi, vd, vs, vb, tx)
                VALUES (4, 'item/n', \(PostgresValues.storedTag(.string)), NULL, NULL, 'four', NULL, 1)
            """, on: source)
        let strayed = try await Self.datoms(source, Self.whole(source))
        #expect(strayed.scans == 2)
        #expect(strayed.datoms == (first.datoms + ["4 :item/n \"four\""]).sorted())
        // With transactions projected, the same datoms.
        let withTx = try await source.scan(Self.whole(source, projection: [.e, .a, .v, .tx]), account: nil)
        #expect(withTx.count == 12)
        await source.close()
    }

    @Test func anUntypedAttributeIsReadByTheTagItWasSeenWith() async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        _ = try await source.describe()
        let w = [Keyword("item/w")]
        let first = try await Self.datoms(source, Self.whole(source, w))
        #expect(first.scans == 1 && first.datoms.count == 3)
        #expect(source.storedAttributes.withLock { $0[w[0]]?.seenTag } == PostgresValues.storedTag(.double))
        let again = try await Self.datoms(source, Self.whole(source, w))
        #expect(again == first)
        // A write through Quarry gives the attribute a string: the branch finds it, the scan reads again.
        _ = try await source.transact(try EDNReader.readOne("[{:db/id 9 :item/w \"heavy\"}]"))
        let mixed = try await Self.datoms(source, Self.whole(source, w))
        #expect(mixed.scans == 2)
        #expect(mixed.datoms == (first.datoms + ["9 :item/w \"heavy\""]).sorted())
        #expect(source.storedAttributes.withLock { $0[w[0]]?.seenTag } == nil)
        // Known to be mixed, it is read in general at once.
        let settled = try await Self.datoms(source, Self.whole(source, w))
        #expect(settled.scans == 1 && settled.datoms == mixed.datoms)
        await source.close()
    }

    /// A value filter and an attribute with no datoms left: a branch's
    /// answer row holds no arrays.
    @Test func filteredAndEmptyBranchesAnswerRight() async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        _ = try await source.describe()
        _ = try await source.transact(try EDNReader.readOne("[[:db/retract 3 :item/ref 2] [:db/retract 2 :item/ref 3]"
                                                            + " [:db/retract 1 :item/ref 2]]"))
        _ = try await source.describe()
        var shape = ScanShape(source: source.name, attributes: [Keyword("item/n"), Keyword("item/ref")], parameters: [],
                              parameterKinds: [])
        shape.filter = ScanFilter(lower: .init(.int(2), inclusive: true))
        let filtered = try await Self.datoms(source, ScanRequest(shape: shape, bindings: [[]]))
        #expect(filtered.datoms == ["2 :item/n 2", "3 :item/n 3"])
        #expect(filtered.scans == 1)
        await source.close()
    }

    /// A session's opening statement reads the description with its
    /// snapshot: what another client writes after is not in it.
    @Test func aSessionIsDescribedAsOfItsSnapshot() async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        let before = source.statements
        let session = try await source.openReadSession()
        #expect(source.statements - before == 2)
        let own = try #require(session.sourceDescription)
        #expect(own.figures[Keyword("item/n")]?.datoms == 3)
        try await PostgresServer.execute("UPDATE quarry_figures SET datoms = 30 WHERE a = 'item/n'", on: source)
        let later = try await source.openReadSession()
        #expect(later.sourceDescription?.figures[Keyword("item/n")]?.datoms == 30)
        #expect(session.sourceDescription?.figures[Keyword("item/n")]?.datoms == 3)
        await session.close()
        await later.close()
        await source.close()
    }
}
#endif
