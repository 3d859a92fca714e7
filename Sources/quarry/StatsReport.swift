import Foundation
import Quarry
import QuarryReport

/// The figures `quarry stats` prints, in either form.
struct StatsReport: Encodable {
    var backend: String
    var engineArena: Int?
    var engine: EngineMemory
    var process: ProcessMemory

    enum CodingKeys: String, CodingKey {
        case backend, engineArena = "engine_arena", engine, process
    }

    static func current() -> StatsReport {
        StatsReport(backend: MemoryStats.backend, engineArena: MemoryStats.arenaIndex, engine: MemoryStats.engine(),
                    process: MemoryStats.process())
    }

    func table() -> String {
        var engineTable = Table(headers: ["engine (\(backend)\(engineArena.map { ", arena \($0)" } ?? ""))", "value"],
                                rightAligned: [1])
        engineTable.append(["bytes now", Format.grouped(engine.bytesNow)])
        engineTable.append(["bytes peak", Format.grouped(engine.bytesPeak)])
        engineTable.append(["allocations", Format.grouped(engine.allocations)])
        engineTable.append(["deallocations", Format.grouped(engine.deallocations)])
        guard process.available else {
            return engineTable.render() + "\nprocess figures: unavailable (built without the Jemalloc trait)"
        }
        var processTable = Table(headers: ["process (jemalloc)", "bytes"], rightAligned: [1])
        for (name, value) in [
            ("stats.allocated", process.allocated), ("stats.active", process.active),
            ("stats.resident", process.resident), ("stats.mapped", process.mapped),
            ("stats.retained", process.retained), ("stats.metadata", process.metadata),
            ("thread.allocated", process.threadAllocated), ("thread.deallocated", process.threadDeallocated),
            ("engine arena allocated", process.engineArenaAllocated),
        ] {
            processTable.append([name, Format.grouped(value)])
        }
        processTable.append(["allocations (count)", Format.grouped(process.processAllocations)])
        return engineTable.render() + "\n" + processTable.render()
    }

    /// `{"quarry": {...}, <the members of the allocator's own dump>}`.
    func json() -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let ours = try? encoder.encode(self), let oursText = String(data: ours, encoding: .utf8),
              let dump = MemoryStats.allocatorJSON(), let brace = dump.firstIndex(of: "{")
        else { return nil }
        let rest = dump[dump.index(after: brace)...].trimmingCharacters(in: .whitespacesAndNewlines)
        return "{\"quarry\": \(oursText)" + (rest == "}" ? "}" : ", " + rest)
    }
}
