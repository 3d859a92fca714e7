import ArgumentParser
import Quarry

/// A byte count on the command line: `1048576`, `512K`, `64M`, `2G`
/// (binary multiples; a trailing `B` or `iB` is accepted).
struct ByteCount: ExpressibleByArgument {
    let bytes: UInt64

    init?(argument: String) {
        var text = argument.uppercased()
        for suffix in ["IB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count {
            text.removeLast(suffix.count)
            break
        }
        var multiplier: UInt64 = 1
        if let last = text.last, let shift = ["K": 10, "M": 20, "G": 30, "T": 40][String(last)] {
            multiplier = 1 << UInt64(shift)
            text.removeLast()
        }
        guard let n = UInt64(text), n.multipliedReportingOverflow(by: multiplier).overflow == false else { return nil }
        bytes = n * multiplier
    }
}

extension SubqueryMode: ExpressibleByArgument {}
