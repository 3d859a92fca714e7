import Foundation
@_spi(Testing) import Quarry

/// The decoder of values a SQLite file stores as blobs (UUIDs and tuples):
/// the first byte picks the tag, the rest is the blob.
enum FuzzSQLiteValue {
    static func run(_ data: Data) {
        guard let first = data.first else { return }
        let tag: ValueTag = first & 1 == 0 ? .tuple : .uuid
        _ = try? SQLiteSource.decodeBlob(Array(data.dropFirst()), tag: tag)
    }
}
