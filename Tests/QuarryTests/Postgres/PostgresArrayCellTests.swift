#if Postgres
import NIOCore
import PostgresNIO
@testable import QuarryPostgres
import Testing

/// Array cells read from their binary form: what the server sends reads
/// back, and a malformed cell (a hostile or broken server) is an error,
/// never a trap or an overread.
struct PostgresArrayCellTests {
    /// A one-dimensional binary array of 8-byte integers (nil: NULL).
    func cell(_ elements: [Int64?], count: Int32? = nil, dimensions: Int32 = 1, cut: Int = 0) -> PostgresCell {
        var b = ByteBuffer()
        b.writeInteger(dimensions)
        b.writeInteger(Int32(elements.contains(nil) ? 1 : 0))
        b.writeInteger(UInt32(20))
        if dimensions > 0 {
            b.writeInteger(count ?? Int32(elements.count))
            b.writeInteger(Int32(1))
        }
        for e in elements {
            if let e {
                b.writeInteger(Int32(8))
                b.writeInteger(e)
            } else {
                b.writeInteger(Int32(-1))
            }
        }
        b.moveWriterIndex(to: b.writerIndex - cut)
        return PostgresCell(bytes: b, dataType: .int8Array, format: .binary, columnName: "x", columnIndex: 0)
    }

    @Test func elementsAndNullsReadBack() throws {
        #expect(try PostgresArrayCell.int64s(cell([1, nil, -7, .max])) == [1, nil, -7, .max])
        #expect(try PostgresArrayCell.int64s(cell([], dimensions: 0)).isEmpty)
        #expect(try PostgresArrayCell.int64s(PostgresCell(bytes: nil, dataType: .int8Array, format: .binary,
                                                          columnName: "x", columnIndex: 0)).isEmpty)
    }

    /// A one-dimensional binary array of texts (nil: NULL); `overstate`
    /// adds to the last element's length past its bytes.
    func texts(_ elements: [String?], overstate: Int32 = 0) -> PostgresCell {
        var b = ByteBuffer()
        b.writeInteger(Int32(1))
        b.writeInteger(Int32(elements.contains(nil) ? 1 : 0))
        b.writeInteger(UInt32(25))
        b.writeInteger(Int32(elements.count))
        b.writeInteger(Int32(1))
        for (i, e) in elements.enumerated() {
            if let e {
                b.writeInteger(Int32(e.utf8.count) + (i == elements.count - 1 ? overstate : 0))
                b.writeString(e)
            } else {
                b.writeInteger(Int32(-1))
            }
        }
        return PostgresCell(bytes: b, dataType: .textArray, format: .binary, columnName: "x", columnIndex: 0)
    }

    @Test func textsAndBytesReadInPlace() throws {
        #expect(try PostgresArrayCell.strings(texts(["", "héllo ✓", nil, "z"])) == ["", "héllo ✓", nil, "z"])
        let bytes = try PostgresArrayCell.bytes(texts(["ab", nil]))
        #expect(bytes.map { $0.map { Array($0.readableBytesView) } } == [[97, 98], nil])
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.strings(texts(["a", "bc"], overstate: 1)) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.bytes(texts(["a"], overstate: 100)) }
    }

    @Test func malformedCellsAreErrors() {
        // Truncated inside an element, a count past the bytes, a negative count, two dimensions, the wrong width.
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int64s(cell([1, 2], cut: 3)) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int64s(cell([1], count: 1_000_000)) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int64s(cell([1], count: -1)) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int64s(cell([1], dimensions: 2)) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int16s(cell([1])) }
        #expect(throws: PostgresStoreError.self) { try PostgresArrayCell.int64s(nil) }
        var text = ByteBuffer(string: "{1,2}")
        text.moveReaderIndex(to: 0)
        #expect(throws: PostgresStoreError.self) {
            try PostgresArrayCell.int64s(PostgresCell(bytes: text, dataType: .int8Array, format: .text, columnName: "x",
                                                      columnIndex: 0))
        }
    }
}
#endif
