import Foundation
import Quarry

/// A file named on the command line, read only when it is a regular file:
/// a directory, a FIFO or a device (`/dev/zero` never ends) is an error.
enum InputFile {
    static func checkRegular(_ path: String) throws {
        switch FileKind(path) {
        case .missing: throw QueryError("cannot read \(path): no such file")
        case .other: throw QueryError("cannot read \(path): not a regular file")
        case .regular: break
        }
    }

    /// The first `count` bytes of the file (fewer when it is shorter).
    static func header(_ path: String, count: Int) throws -> Data {
        try checkRegular(path)
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            return try handle.read(upToCount: count) ?? Data()
        } catch {
            throw QueryError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The whole file as UTF-8 text.
    static func text(_ path: String) throws -> String {
        try checkRegular(path)
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw QueryError("cannot read \(path) as UTF-8 text")
        }
    }
}
