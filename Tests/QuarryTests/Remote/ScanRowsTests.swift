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

    @Test func aReservationIsAHintWhateverItsSize() throws {
        let rows = try ScanRows(projection: [.e, .v])
        for n in [-1, 0, 10, Int.max] { try rows.reserve(rows: n) }
        try rows.append(binding: 0, SourceDatom(e: 1, a: Keyword("a"), v: .int(2), tx: 0))
        #expect(rows.row(0).v == .int(2))
    }
}
