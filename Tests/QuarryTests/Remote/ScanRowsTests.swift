import Foundation
@testable import Quarry
import Testing

/// A source's rows written through `ScanRows.append(binding:_:)`: numbers
/// and text take a path that sizes a row and writes it in place, other
/// values go through the general writer; both must give the same bytes.
@Suite struct ScanRowsTests {
    static let values: [Value] = [
        .int(0), .int(.min), .int(.max), .ref(42), .double(-0.0), .double(.infinity), .double(3.25),
        .instant(Instant(millisecondsSinceEpoch: -1)), .string(""), .string("héllo ✓ 😀"),
        .string(String(repeating: "x", count: 10_000)), .keyword(Keyword("a/b")), .keyword(Keyword("ü")),
        .bool(true), .uuid(UUID(uuidString: "00000000-0000-0000-0000-0000000000AB")!),
        .tuple([.int(1), .string("two")]),
    ]

    static let projections: [PositionSet] = [[.e, .a, .v, .tx], [.e, .v], [.a, .v], [.v], [.e], [.a], [.tx], []]

    @Test(arguments: projections)
    func rowsAreTheGeneralWritersBytesAndReadBack(projection: PositionSet) throws {
        let rows = try ScanRows(projection: projection)
        let attributes = [Keyword("price/open"), Keyword("é/名前")]
        var expected: [UInt8] = []
        var datoms: [SourceDatom] = []
        for (i, v) in Self.values.enumerated() {
            let d = SourceDatom(e: Int64(i) - 3, a: attributes[i % 2], v: v, tx: Int64(i) * 1000)
            datoms.append(d)
            try rows.append(binding: i / 3, d)
            var w = WireWriter()
            w.u32(UInt32(i / 3))
            if projection.contains(.e) { w.i64(d.e) }
            if projection.contains(.a) { w.text(d.a.text) }
            if projection.contains(.v) { w.value(d.v) }
            if projection.contains(.tx) { w.i64(d.tx) }
            expected += w.out
        }
        let written = rows.bytes.withElements { Array($0) }
        #expect(written == expected)
        #expect(rows.count == datoms.count)
        for (i, d) in datoms.enumerated() {
            let r = rows.row(i)
            #expect(r.binding == i / 3)
            #expect(r.e == (projection.contains(.e) ? d.e : nil))
            #expect(r.a == (projection.contains(.a) ? d.a : nil))
            #expect(r.v == (projection.contains(.v) ? d.v : nil))
            #expect(r.tx == (projection.contains(.tx) ? d.tx : nil))
        }
    }

    /// A binding the wire form cannot hold is an error from a source's
    /// call, whichever path its value takes.
    @Test(arguments: [-1, Int(UInt32.max) + 1, Int.max, Int.min])
    func bindingsOutsideTheWireFormAreErrors(binding: Int) throws {
        let rows = try ScanRows(projection: [.e, .v])
        for v in [Value.int(1), .bool(true)] {
            #expect(throws: ScanError.self) {
                try rows.append(binding: binding, SourceDatom(e: 1, a: Keyword("a"), v: v, tx: 0))
            }
        }
        #expect(rows.count == 0)
    }

    /// A column of numbers appended at once: the same bytes as the rows
    /// appended one datom at a time, for every kind of number and
    /// projection, after rows already there.
    @Test(arguments: projections)
    func aColumnOfNumbersIsTheRowsOfItsDatoms(projection: PositionSet) throws {
        let columns: [(ValueTag, [Value])] = [
            (.int, [.int(0), .int(.min), .int(.max)]), (.ref, [.ref(1), .ref(.max)]),
            (.double, [.double(-0.0), .double(.nan), .double(.infinity), .double(3.25)]),
            (.instant, [.instant(Instant(millisecondsSinceEpoch: -1)), .instant(Instant(millisecondsSinceEpoch: 1 << 40))]),
        ]
        let a = Keyword("é/名前")
        let one = try ScanRows(projection: projection), bulk = try ScanRows(projection: projection)
        for rows in [one, bulk] { try rows.append(binding: 0, SourceDatom(e: 9, a: Keyword("x"), v: .string("s"), tx: 1)) }
        for (b, (tag, values)) in columns.enumerated() {
            let datoms = values.enumerated().map { i, v in SourceDatom(e: Int64(i) * 7 - 5, a: a, v: v, tx: Int64(b * 100 + i)) }
            for d in datoms { try one.append(binding: b + 1, d) }
            try bulk.append(binding: b + 1, attribute: a, numbers: tag, count: datoms.count,
                            entity: { datoms[$0].e },
                            word: { i in
                                switch datoms[i].v {
                                case .int(let x), .ref(let x): UInt64(bitPattern: x)
                                case .double(let d): d.bitPattern
                                case .instant(let t): UInt64(bitPattern: t.millisecondsSinceEpoch)
                                default: 0
                                }
                            },
                            tx: { datoms[$0].tx })
        }
        #expect(bulk.bytes.withElements { Array($0) } == one.bytes.withElements { Array($0) })
        #expect(bulk.count == one.count && bulk.bindingRanges.map(\.rows) == one.bindingRanges.map(\.rows))
    }

    /// Other tags, a binding below the last, or out of the wire form, are
    /// errors; a closure's error stops the column, the rows before it kept.
    @Test func aColumnOfNumbersRefusesWhatItCannotWrite() throws {
        let rows = try ScanRows(projection: [.e, .v])
        for tag in [ValueTag.string, .keyword, .bool, .uuid, .tuple, .map] {
            #expect(throws: ScanError.self) {
                try rows.append(binding: 0, attribute: Keyword("a"), numbers: tag, count: 1, entity: { _ in 1 },
                                word: { _ in 1 }, tx: { _ in 0 })
            }
        }
        for binding in [-1, Int(UInt32.max) + 1] {
            #expect(throws: ScanError.self) {
                try rows.append(binding: binding, attribute: Keyword("a"), numbers: .int, count: 1, entity: { _ in 1 },
                                word: { _ in 1 }, tx: { _ in 0 })
            }
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try rows.append(binding: 3, attribute: Keyword("a"), numbers: .int, count: 5, entity: { i in
                if i == 2 { throw Stop() }
                return Int64(i)
            }, word: { _ in 1 }, tx: { _ in 0 })
        }
        #expect(rows.count == 2 && rows.row(1).e == 1)
        // A column stopped before its first row opens no binding.
        #expect(throws: Stop.self) {
            try rows.append(binding: 5, attribute: Keyword("a"), numbers: .int, count: 1, entity: { _ in throw Stop() },
                            word: { _ in 1 }, tx: { _ in 0 })
        }
        #expect(rows.bindingRanges.map(\.binding) == [3])
        #expect(throws: ScanError.self) {
            try rows.append(binding: 2, attribute: Keyword("a"), numbers: .int, count: 1, entity: { _ in 1 },
                            word: { _ in 1 }, tx: { _ in 0 })
        }
        try rows.append(binding: 4, attribute: Keyword("a"), numbers: .int, count: 0, entity: { _ in 1 }, word: { _ in 1 },
                        tx: { _ in 0 })
        #expect(rows.count == 2)
    }

    @Test func aReservationIsAHintWhateverItsSize() throws {
        let rows = try ScanRows(projection: [.e, .v])
        for n in [-1, 0, 10, Int.max] { try rows.reserve(rows: n) }
        try rows.append(binding: 0, SourceDatom(e: 1, a: Keyword("a"), v: .int(2), tx: 0))
        #expect(rows.row(0).v == .int(2))
    }
}
