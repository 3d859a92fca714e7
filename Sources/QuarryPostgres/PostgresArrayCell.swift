#if Postgres
import NIOCore
import PostgresNIO

/// The elements of a one-dimensional array cell in PostgreSQL's binary
/// form, read straight from its bytes: a header (dimensions, a null flag,
/// the element type, then per dimension its length and lower bound),
/// then per element a 32-bit length (-1 for NULL) and its bytes. Every
/// length is checked against what is left.
enum PostgresArrayCell {
    /// The bytes after the header, positioned at the first element, and
    /// the number of elements.
    private static func body(_ cell: PostgresCell?) throws -> (ByteBuffer, Int) {
        guard let cell else { throw PostgresStoreError("a scan's answer has fewer columns than asked for") }
        guard var b = cell.bytes else { return (ByteBuffer(), 0) }
        guard cell.format == .binary else { throw PostgresStoreError("the server answered a scan in text, not binary") }
        guard let dimensions = b.readInteger(as: Int32.self), b.readInteger(as: Int32.self) != nil,
              b.readInteger(as: UInt32.self) != nil else { throw malformed }
        if dimensions == 0 { return (b, 0) }
        guard dimensions == 1, let count = b.readInteger(as: Int32.self), b.readInteger(as: Int32.self) != nil,
              count >= 0, Int(count) <= b.readableBytes / 4 else { throw malformed }
        return (b, Int(count))
    }

    /// Each element read by `read` from its bytes, `length` of them (nil
    /// for NULL), in order: read in place, no slice per element (each
    /// would retain the answer's storage).
    private static func elements<T>(_ cell: PostgresCell?, _ read: (inout ByteBuffer, Int) throws -> T) throws -> [T?] {
        var (b, count) = try body(cell)
        var out: [T?] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            guard let length = b.readInteger(as: Int32.self) else { throw malformed }
            if length < 0 {
                out.append(nil)
                continue
            }
            guard Int(length) <= b.readableBytes else { throw malformed }
            let end = b.readerIndex + Int(length)
            out.append(try read(&b, Int(length)))
            guard b.readerIndex == end else { throw malformed }
        }
        return out
    }

    static func int64s(_ cell: PostgresCell?) throws -> [Int64?] {
        try fixed(cell, width: 8) { $0.readInteger(as: Int64.self) }
    }

    static func int16s(_ cell: PostgresCell?) throws -> [Int16?] {
        try fixed(cell, width: 2) { $0.readInteger(as: Int16.self) }
    }

    static func doubles(_ cell: PostgresCell?) throws -> [Double?] {
        try fixed(cell, width: 8) { $0.readInteger(as: UInt64.self).map(Double.init(bitPattern:)) }
    }

    /// Elements of `width` bytes each, read by `read`; any other length is malformed.
    private static func fixed<T>(_ cell: PostgresCell?, width: Int, _ read: (inout ByteBuffer) -> T?) throws -> [T?] {
        try elements(cell) { b, length in
            guard length == width, let x = read(&b) else { throw malformed }
            return x
        }
    }

    static func strings(_ cell: PostgresCell?) throws -> [String?] {
        try elements(cell) { b, length in
            guard let text = b.readString(length: length) else { throw malformed }
            return text
        }
    }

    static func bytes(_ cell: PostgresCell?) throws -> [ByteBuffer?] {
        try elements(cell) { b, length in
            guard let slice = b.readSlice(length: length) else { throw malformed }
            return slice
        }
    }

    private static var malformed: PostgresStoreError { PostgresStoreError("the server sent a malformed array") }
}
#endif
