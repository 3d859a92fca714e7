import QuarryCore

/// A scope of the engine's memory — one query, one operator — with an
/// optional limit.
///
/// Every core object created with an account charges it with the bytes it
/// allocates, on top of the engine-wide figures in ``MemoryStats``. An
/// allocation that would pass the limit fails with
/// ``CoreError/Kind-swift.enum/budgetExceeded`` and changes nothing. Objects
/// keep their account alive, so the account outlives them by construction.
/// The counters are atomic in the core, so an account may be read from any
/// thread.
public final class MemoryAccount: @unchecked Sendable {
    let handle: OpaquePointer

    /// Figures of an account at one moment.
    public struct Figures: Sendable, Equatable {
        /// Bytes charged now.
        public var bytesNow: UInt64
        /// The most bytes charged at once.
        public var bytesPeak: UInt64
        /// Allocations charged.
        public var allocations: UInt64
        /// Zero when the account has no limit.
        public var limitBytes: UInt64
        /// Allocations refused because they would have passed the limit.
        public var rejected: UInt64
    }

    /// Creates an account; `limitBytes` nil or 0 means no limit.
    public init(limitBytes: UInt64? = nil) throws(CoreError) {
        var out: OpaquePointer?
        try CoreError.check(qc_account_create(limitBytes ?? 0, &out), "create memory account")
        handle = out!
    }

    deinit { qc_account_destroy(handle) }

    /// The account's figures now.
    public var figures: Figures {
        var f = qc_account_figures()
        qc_account_read(handle, &f)
        return Figures(bytesNow: f.bytes_now, bytesPeak: f.bytes_peak, allocations: f.allocations,
                       limitBytes: f.limit_bytes, rejected: f.rejected)
    }

    /// Changes the limit (nil or 0: none); bytes already held are kept.
    public func setLimit(_ bytes: UInt64?) { qc_account_set_limit(handle, bytes ?? 0) }
}
