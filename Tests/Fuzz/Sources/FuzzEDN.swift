import Foundation
import Quarry

/// The EDN reader on any bytes: a form or an error; what it reads, written
/// back, reads again.
enum FuzzEDN {
    static func run(_ data: Data) {
        guard let forms = try? EDNReader.readAll(String(decoding: data, as: UTF8.self)) else { return }
        for form in forms {
            let text = EDNWriter.write(form)
            guard (try? EDNReader.readOne(text)) != nil else {
                fatalError("written form does not read back: \(text.debugDescription.prefix(300))")
            }
        }
    }
}
