import QuarryCore

/// A ``LookupAggregate`` group folded in one loop of the core
/// (`qc_lookup_fold_doubles`) when it is the common case: every row's
/// entity rising within the chunk its seeker stands in, every value a
/// double (OHLC's prices). The Swift loop it stands in for kept the walk's
/// state across a call per row, switched on each value's tag and probed a
/// set type of its own: about 75 instructions a row.
///
/// A group that is not the common case is left as it was (the seeker
/// too), for the operator's general loop.
struct LookupFold {
    private let account: MemoryAccount?
    /// The set of a group's values, as bit patterns, when each counts once:
    /// slots whose stamp is the current one hold the group's.
    private var table: CoreVector<UInt64>
    private var stamps: CoreVector<UInt32>
    private var log2: UInt32 = 7
    private var stamp: UInt32 = 0

    init(account: MemoryAccount?) throws(CoreError) {
        self.account = account
        table = try CoreVector(repeating: 0, count: 1 << 7, account: account)
        stamps = try CoreVector(repeating: 0, count: 1 << 7, account: account)
    }

    var byteCount: Int { table.byteCount + stamps.byteCount }

    /// The fold of `rows`' `count` rows (the entity in `entityColumn` of
    /// `arity` columns), or nil when the group is not the common case.
    mutating func fold(_ rows: UnsafeRawPointer, count: Int, stride: Int, arity: Int, entityColumn: Int,
                       seeker: inout DatomRun.EntitySeeker, distinct: Bool) throws(CoreError) -> qc_group_fold? {
        guard var window = seeker.window else { return nil }
        var layout = qc_lookup_layout(rowStride: stride, arity: arity, entityColumn: entityColumn)
        var out = qc_group_fold()
        // A group with more values than half the table: the table doubles and the group goes again.
        while true {
            stamp &+= 1
            if stamp == 0 {
                // After 2^32 groups the stamps wrap: old slots would look current.
                stamps = try CoreVector(repeating: 0, count: 1 << Int(log2), account: account)
                stamp = 1
            }
            let result = table.withMutableElements { t in
                stamps.withMutableElements { s in
                    qc_lookup_fold_doubles(rows, count, &layout, &window, distinct, t.baseAddress, s.baseAddress, log2,
                                           stamp, &out)
                }
            }
            switch result {
            case 1:
                seeker.walked(window)
                return out
            case -1 where log2 < 30:
                log2 += 1
                table = try CoreVector(repeating: 0, count: 1 << Int(log2), account: account)
                stamps = try CoreVector(repeating: 0, count: 1 << Int(log2), account: account)
            default:
                return nil
            }
        }
    }
}

extension RunningAggregate {
    /// The running state of `kind` over a group's values, all doubles, as
    /// ``LookupFold`` folded them: what folding them one by one gives.
    init(doubles f: qc_group_fold, kind: Kind) {
        self.init()
        count = Int(f.count)
        guard f.count > 0 else { return }
        allIntegers = false
        doubleSum = f.sum
        switch kind {
        case .min: best = EncodedValue(word: f.min, tag: .double)
        case .max: best = EncodedValue(word: f.max, tag: .double)
        case .count, .sum, .avg: break
        }
    }
}
