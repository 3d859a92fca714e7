/// How the materializer fetches one batch of scans, chosen from the
/// memory left under the budget, the number of consumers and the
/// estimated size. The choice is a pure function of those figures, so the
/// same figures always give the same strategy.
public enum ScanStrategy: String, Sendable, CaseIterable {
    /// Requests of at most the key limit, each answer cached for later scans.
    case batched
    /// The whole attribute in one request without keys: cheaper than the
    /// keys when they cover most of it, and cached for every later key.
    case full
    /// Requests of fewer keys, one at a time, each answer small enough for
    /// the memory left; not cached.
    case partial
    /// One consumer and an answer larger than the cache: handed over without
    /// being cached.
    case stream

    /// The figures a choice is made from.
    public struct Figures: Sendable, Equatable {
        /// Bindings asked for.
        public var keys: Int
        /// Estimated rows of the answer, and bytes per row in wire form.
        public var estimatedRows: Double
        /// Bytes per row in wire form.
        public var rowBytes: Int
        /// Distinct values the attribute holds at the bound position, and
        /// its datoms (nil when unknown or when several positions are bound).
        public var distinctKeys: Int?
        /// The attribute's datoms (nil when unknown).
        public var attributeRows: Int?
        /// Scans served by the answer.
        public var consumers: Int
        /// Bytes the query may still use (nil: no budget), and the cache's budget.
        public var headroomBytes: Int?
        /// The cache's budget in bytes.
        public var cacheBytes: Int

        /// The figures of one request.
        public init(keys: Int, estimatedRows: Double, rowBytes: Int, distinctKeys: Int? = nil, attributeRows: Int? = nil,
                    consumers: Int = 1, headroomBytes: Int? = nil, cacheBytes: Int) {
            self.keys = keys
            self.estimatedRows = estimatedRows
            self.rowBytes = rowBytes
            self.distinctKeys = distinctKeys
            self.attributeRows = attributeRows
            self.consumers = consumers
            self.headroomBytes = headroomBytes
            self.cacheBytes = cacheBytes
        }

        var estimatedBytes: Double { estimatedRows * Double(rowBytes) }
    }

    /// The strategy for `figures`, the reason in words, and for `partial`
    /// the keys per request.
    public static func choose(_ f: Figures) -> (strategy: ScanStrategy, reason: String, chunkKeys: Int?) {
        let bytes = f.estimatedBytes
        if let headroom = f.headroomBytes, bytes > Double(headroom) / 4 {
            let perKey = max(1, bytes / Double(max(1, f.keys)))
            let chunk = max(1, Int(Double(headroom) / 4 / perKey))
            return (.partial, "about \(bytes.estimateText) bytes against \(headroom) left under the budget: "
                    + "\(chunk) keys per request", chunk)
        }
        if let distinct = f.distinctKeys, let whole = f.attributeRows, f.keys >= keysForWholeAttribute(distinct: distinct),
           fitsWhole(bytes: Double(whole) * Double(f.rowBytes), headroomBytes: f.headroomBytes) {
            return (.full, "\(f.keys) keys of the attribute's \(distinct): one scan of all \(whole) datoms", nil)
        }
        if f.consumers == 1, bytes > Double(f.cacheBytes) {
            return (.stream, "one consumer and about \(bytes.estimateText) bytes, more than the cache's \(f.cacheBytes)", nil)
        }
        return (.batched, "\(f.keys) key\(f.keys == 1 ? "" : "s") for \(f.consumers) scan\(f.consumers == 1 ? "" : "s")", nil)
    }

    /// How many of an attribute's `distinct` keys make one scan of the
    /// whole attribute the better request (memory allowing): half. The
    /// gate stops recording a scan's keys there, since more would not
    /// change the choice.
    public static func keysForWholeAttribute(distinct: Int) -> Int { distinct / 2 + distinct % 2 }

    /// Whether a whole attribute of `bytes` may be fetched at once: at
    /// most a quarter of the memory left under the budget (nil: no budget).
    public static func fitsWhole(bytes: Double, headroomBytes: Int?) -> Bool {
        bytes <= Double(headroomBytes ?? Int.max) / 4
    }
}

extension ScanShape {
    /// Bytes per row the strategy estimates with: a binding index and a
    /// value per column carried.
    var estimatedRowBytes: Int { 4 + 12 * projection.indexes.count }
}
