import QuarryCoreTesting

/// Out-of-memory failures on demand, for tests: the core's allocator fails
/// the nth engine allocation from now on, as if the system had no memory.
/// Process-wide; a test that arms it must not run beside other users of
/// the engine.
@_spi(Testing) public enum FaultInjection {
    /// Makes the `nth` engine allocation from now on fail (1: the next; 0: none).
    public static func failAllocation(_ nth: Int) {
        qc_testing_fail_allocation(UInt64(max(0, nth)))
    }

    /// Allocations counted since the last ``failAllocation(_:)`` with a
    /// positive `nth`.
    public static var allocationsSeen: Int { Int(qc_testing_allocations_seen()) }

    /// Fails every allocation point of `run` in turn: for point 1, 2, ...
    /// it sets up a fresh state (no failure armed), runs `run` on it with
    /// that allocation failing, and hands the state and the error (nil if
    /// the run did not fail) to `check`. It stops after the first run that
    /// made fewer allocations than the point, which ran to its end, and
    /// returns how many points it failed.
    @discardableResult
    public static func atEveryAllocation<State>(setUp: () throws -> State, run: (State) throws -> Void,
                                                check: (_ state: State, _ point: Int, _ error: Error?) throws -> Void)
        throws -> Int {
        var point = 1
        while true {
            let state = try setUp()
            failAllocation(point)
            var failure: Error?
            do { try run(state) } catch { failure = error }
            let seen = allocationsSeen
            failAllocation(0)
            try check(state, point, failure)
            if seen < point { return point - 1 }
            point += 1
        }
    }

    /// The slot index's randomized model check (`qc_testing_slot_index_trials`):
    /// how many of `trials` lost or kept an entry they should not have.
    public static func slotIndexTrials(seed: UInt64, trials: Int) -> UInt64 {
        qc_testing_slot_index_trials(seed, UInt64(max(0, trials)))
    }
}
