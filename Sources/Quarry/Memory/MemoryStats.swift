import QuarryCore

/// The engine's own memory figures, kept by the C core on every allocation.
public struct EngineMemory: Sendable, Equatable, Codable {
    /// Usable bytes the core holds now.
    public var bytesNow: UInt64
    /// Highest `bytesNow` since start or ``MemoryStats/resetPeak()``.
    public var bytesPeak: UInt64
    /// Allocation calls made by the core.
    public var allocations: UInt64
    /// Deallocation calls made by the core.
    public var deallocations: UInt64

    enum CodingKeys: String, CodingKey {
        case bytesNow = "bytes_now", bytesPeak = "bytes_peak", allocations, deallocations
    }
}

/// Process-wide allocator figures (jemalloc's `stats.*` after an epoch
/// refresh). With the system allocator backend only `available` is set.
public struct ProcessMemory: Sendable, Equatable, Codable {
    /// Whether jemalloc's statistics could be read (false on the system-allocator backend).
    public var available: Bool
    /// Bytes the application has allocated.
    public var allocated: UInt64
    /// Bytes in pages holding allocations.
    public var active: UInt64
    /// Bytes resident in physical memory.
    public var resident: UInt64
    /// Bytes mapped by the allocator.
    public var mapped: UInt64
    /// Bytes the allocator keeps for reuse, not returned to the system.
    public var retained: UInt64
    /// Bytes of the allocator's own bookkeeping.
    public var metadata: UInt64
    /// Bytes the calling thread has allocated, cumulative.
    public var threadAllocated: UInt64
    /// Bytes the calling thread has deallocated, cumulative.
    public var threadDeallocated: UInt64
    /// jemalloc's own count of the bytes in the engine's arena; equals
    /// ``EngineMemory/bytesNow`` when the accounting is exact.
    public var engineArenaAllocated: UInt64
    /// Allocations made by the whole process (small and large), cumulative.
    public var processAllocations: UInt64

    enum CodingKeys: String, CodingKey {
        case available, allocated, active, resident, mapped, retained, metadata
        case threadAllocated = "thread_allocated", threadDeallocated = "thread_deallocated"
        case engineArenaAllocated = "engine_arena_allocated", processAllocations = "process_allocations"
    }
}

/// Reads the engine's and the process's memory figures.
public enum MemoryStats {
    /// `"jemalloc"` or `"system"` (builds without the `Jemalloc` trait).
    public static var backend: String { String(cString: qc_mem_backend()) }

    /// The jemalloc arena that holds the engine's memory, if any.
    public static var arenaIndex: Int? {
        let i = qc_mem_arena_index()
        return i == UInt32.max ? nil : Int(i)
    }

    /// The engine's own memory: what the C core allocated, through its arena or the system allocator.
    public static func engine() -> EngineMemory {
        var m = qc_engine_memory()
        qc_mem_engine(&m)
        return EngineMemory(bytesNow: m.bytes_now, bytesPeak: m.bytes_peak, allocations: m.allocations,
                            deallocations: m.deallocations)
    }

    /// The whole process's memory as jemalloc sees it.
    public static func process() -> ProcessMemory {
        var p = qc_process_memory()
        _ = qc_process_read(&p)
        return ProcessMemory(available: p.available, allocated: p.allocated, active: p.active, resident: p.resident,
                             mapped: p.mapped, retained: p.retained, metadata: p.metadata,
                             threadAllocated: p.thread_allocated, threadDeallocated: p.thread_deallocated,
                             engineArenaAllocated: p.engine_arena_allocated,
                             processAllocations: p.process_allocations)
    }

    /// Makes the engine's peak equal its current bytes, so that a following
    /// peak measures one phase.
    public static func resetPeak() { qc_mem_reset_peak() }

    /// The allocator's complete statistics as JSON text: jemalloc's
    /// `malloc_stats_print` dump, or a small object naming the system
    /// backend. Nil only when memory for the text ran out.
    public static func allocatorJSON() -> String? {
        var len = 0
        guard let text = qc_stats_json(&len) else { return nil }
        defer { qc_stats_json_free(text) }
        return String(cString: text)
    }
}
