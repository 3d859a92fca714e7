import Foundation
import Quarry

/// The query parser on any text: a query or an error.
enum FuzzParser {
    static func run(_ data: Data) {
        _ = try? QueryParser.parse(String(decoding: data, as: UTF8.self))
    }
}
