import Histogram

/// Request latencies in microseconds, in an HDR histogram (three
/// significant digits, up to an hour): constant memory whatever the count.
struct LatencyHistogram {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ d: Duration) {
        let micros = d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
        histogram.record(UInt64(max(0, micros)))
    }

    var summary: LatencySummary {
        var s = LatencySummary()
        s.count = Int(histogram.totalCount)
        guard s.count > 0 else { return s }
        s.p50 = Double(histogram.valueAtPercentile(50))
        s.p99 = Double(histogram.valueAtPercentile(99))
        s.max = Double(histogram.max)
        return s
    }
}
