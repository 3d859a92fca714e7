import Foundation

/// A serial executor with a thread of its own, for an actor whose work
/// blocks: SQLite's calls wait on the disk and on other processes' locks
/// (the busy timeout is seconds), and on Swift's cooperative pool, one
/// thread a core, such a wait stalls every task of the process. Jobs run
/// one at a time, in the order they came.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    /// Starts the thread, named `name` (it shows in debuggers and `ps -L`).
    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    /// Lets the thread end once the jobs enqueued so far have run: called
    /// by the actor's deinit, when no job of it can come any more.
    func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    /// Whether the calling code runs on this executor's thread.
    var isCurrent: Bool { Thread.current.threadDictionary[Self.marker] as? ObjectIdentifier == ObjectIdentifier(self) }

    private static let marker = "quarry.ThreadExecutor"

    private func run() {
        Thread.current.threadDictionary[Self.marker] = ObjectIdentifier(self)
        while true {
            let job: UnownedJob? = condition.withLock {
                while jobs.isEmpty && !stopping { condition.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
