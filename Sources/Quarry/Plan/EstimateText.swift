extension Double {
    /// An estimate (rows, keys, bytes) as a whole number for EXPLAIN and the
    /// materializer's reasons, or `huge` past 10^15 or when not finite:
    /// estimates multiply a source's figures, which may be as large as an
    /// `Int` holds, and an `Int` cannot hold every product.
    var estimateText: String {
        isFinite && abs(self) < 1e15 ? String(Int(rounded())) : "huge"
    }
}
