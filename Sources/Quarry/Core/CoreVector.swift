import QuarryCore

/// A growable array of plain values in the engine's memory.
///
/// Used where the engine needs a flat array that is not rows of one arity:
/// sorted index permutations, hash-join chains, aggregate state. Its bytes
/// are charged to the engine (and to `account`), so they show in the
/// engine's figures and count against a query's budget. Not thread-safe;
/// it may be shared read-only once built.
final class CoreVector<Element: BitwiseCopyable> {
    private var base: UnsafeMutablePointer<Element>?
    private var usable = 0
    private(set) var count = 0
    let account: MemoryAccount?

    init(account: MemoryAccount? = nil) {
        self.account = account
    }

    /// A vector of `count` copies of `value`.
    convenience init(repeating value: Element, count: Int, account: MemoryAccount? = nil) throws(CoreError) {
        self.init(account: account)
        try reserve(count)
        for i in 0..<count { base![i] = value }
        self.count = count
    }

    /// A vector holding `elements`.
    convenience init(copying elements: [Element], account: MemoryAccount? = nil) throws(CoreError) {
        self.init(account: account)
        try reserve(elements.count)
        elements.withUnsafeBufferPointer { e in
            if let from = e.baseAddress, let base, e.count > 0 { base.update(from: from, count: e.count) }
        }
        count = elements.count
    }

    deinit {
        if let base { qc_buffer_free(account?.handle, base, usable) }
    }

    var capacity: Int { usable / MemoryLayout<Element>.stride }

    /// Where the elements lie, for a vector that is built and then only
    /// read: valid while the vector lives and does not grow.
    var stableBase: UnsafePointer<Element>? { base.map { UnsafePointer($0) } }
    var byteCount: Int { usable }

    func reserve(_ n: Int) throws(CoreError) {
        guard n > capacity else { return }
        var status = QC_OK
        var newUsable = 0
        let bytes = Swift.max(n, 8) * MemoryLayout<Element>.stride
        guard let p = qc_buffer_grow(account?.handle, base, usable, count * MemoryLayout<Element>.stride, bytes,
                                     &newUsable, &status)
        else { throw CoreError(status: status, operation: "grow a vector to \(n) elements") }
        base = p.bindMemory(to: Element.self, capacity: newUsable / MemoryLayout<Element>.stride)
        usable = newUsable
    }

    /// Sets the count to `n`; elements past the old count are left for the
    /// caller to write (the core's batch calls fill every one).
    func resize(to n: Int) throws(CoreError) {
        try reserve(n)
        count = n
    }

    @inline(__always)
    func append(_ value: Element) throws(CoreError) {
        if count == capacity { try reserve(Swift.max(16, count * 2)) }
        base![count] = value
        count += 1
    }

    subscript(i: Int) -> Element {
        @inline(__always) get {
            precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            return base![i]
        }
        @inline(__always) set {
            precondition(i >= 0 && i < count, "index \(i) out of 0..<\(count)")
            base![i] = newValue
        }
    }

    /// Calls `body` with the elements as a mutable buffer (for sorting in place).
    func withMutableElements<R, E: Error>(_ body: (inout UnsafeMutableBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        var buffer = UnsafeMutableBufferPointer(start: base, count: count)
        return try body(&buffer)
    }

    func withElements<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }
}

extension CoreVector where Element == UInt8 {
    /// Appends raw bytes, growing by doubling.
    func append(bytes: UnsafeRawBufferPointer) throws(CoreError) {
        guard let from = bytes.baseAddress else { return }
        try append(count: bytes.count) { $0.copyMemory(from: from, byteCount: bytes.count) }
    }

    /// Appends `n` bytes that `write` stores through a pointer to their
    /// place (it must write all of them, and keep no copy of the pointer).
    @inline(__always)
    func append(count n: Int, _ write: (UnsafeMutableRawPointer) -> Void) throws(CoreError) {
        guard n > 0 else { return }
        if count + n > capacity { try reserve(Swift.max(64, Swift.max(count + n, count * 2))) }
        write(UnsafeMutableRawPointer(base! + count))
        count += n
    }
}
