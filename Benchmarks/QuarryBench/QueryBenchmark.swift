import Quarry

/// What loading the workload measured.
struct LoadResult: Encodable {
    var datoms: Int
    var ednBytes: Int
    var parseSeconds: Double
    var transactSeconds: Double
    var datomsPerSecond: Double
    /// Engine bytes the database holds (datoms, indexes, interned strings) per datom.
    var engineBytesPerDatom: Double
    /// The engine's peak while loading, per datom.
    var engineBytesPeakPerDatom: Double
    var engineAllocations: UInt64
    var processAllocations: UInt64

    enum CodingKeys: String, CodingKey {
        case datoms, ednBytes = "edn_bytes", parseSeconds = "parse_s", transactSeconds = "transact_s"
        case datomsPerSecond = "datoms_per_s", engineBytesPerDatom = "engine_bytes_per_datom"
        case engineBytesPeakPerDatom = "engine_bytes_peak_per_datom", engineAllocations = "engine_allocations"
        case processAllocations = "process_allocations"
    }
}

/// What one query measured: the median time over the repetitions, and the
/// memory figures of one run (they do not vary between runs).
struct QueryBenchResult: Encodable {
    var name: String
    var query: String
    var rows: Int
    /// `Database.query` end to end, as an embedder calls it (median).
    var milliseconds: Double
    /// The fastest of the repetitions: on a VM whose speed drifts between
    /// runs, the figure that moves least when comparing two builds.
    var fastestMilliseconds: Double
    /// The query's own `wall_ms` (parse, plan, execute; median).
    var engineMilliseconds: Double
    var engineBytesPeak: UInt64
    var engineAllocations: UInt64
    /// Every allocation of the process during one run, Swift's included.
    var processAllocations: UInt64
    var repetitions: Int

    enum CodingKeys: String, CodingKey {
        case name, query, rows, milliseconds = "ms", fastestMilliseconds = "fastest_ms", engineMilliseconds = "wall_ms"
        case engineBytesPeak = "engine_bytes_peak", engineAllocations = "engine_allocations"
        case processAllocations = "process_allocations", repetitions
    }
}

/// Loads the workload from EDN text and runs its queries.
struct QueryBenchmark {
    let workload: QueryWorkload
    let repetitions: Int

    func load() throws -> (Database, LoadResult) {
        let text = workload.edn()
        let before = MemoryStats.engine()
        MemoryStats.resetPeak()
        var edn: EDN?
        let parse = try measure { edn = try EDNReader.readOne(text) }
        var db: Database?
        let transact = try measure { db = try Database().transact(edn!) }
        edn = nil
        let after = MemoryStats.engine()
        let loaded = db!
        let datoms = Double(loaded.count)
        let seconds = parse.seconds + transact.seconds
        return (loaded, LoadResult(
            datoms: loaded.count, ednBytes: text.utf8.count, parseSeconds: parse.seconds,
            transactSeconds: transact.seconds, datomsPerSecond: datoms / seconds,
            engineBytesPerDatom: Double(after.bytesNow - before.bytesNow) / datoms,
            engineBytesPeakPerDatom: Double(after.bytesPeak - before.bytesNow) / datoms,
            engineAllocations: parse.engineAllocations + transact.engineAllocations,
            processAllocations: parse.processAllocations + transact.processAllocations))
    }

    func run(_ name: String, _ text: String, on db: Database) throws -> QueryBenchResult {
        var times: [Double] = [], engineTimes: [Double] = []
        var last: QueryResult?
        var lastMeasured: Measured?
        for _ in 0..<repetitions {
            var result: QueryResult?
            let m = try measure { result = try db.query(text) }
            times.append(m.seconds * 1000)
            engineTimes.append(result!.stats.wallMilliseconds)
            last = result
            lastMeasured = m
        }
        let r = last!, m = lastMeasured!
        return QueryBenchResult(
            name: name, query: text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .joined(separator: " "),
            rows: r.rows.count, milliseconds: median(times), fastestMilliseconds: times.min() ?? 0, engineMilliseconds: median(engineTimes),
            engineBytesPeak: r.stats.engineBytesPeak, engineAllocations: r.stats.allocations,
            processAllocations: m.processAllocations, repetitions: repetitions)
    }
}
