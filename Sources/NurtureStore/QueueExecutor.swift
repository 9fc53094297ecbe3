import Dispatch

/// Runs an actor's jobs on a serial dispatch queue instead of Swift's cooperative pool.
/// The SQLite store blocks in fsync and in its busy timeout; on the pool (one thread per
/// core) that would stall every other task, the send loop's rendering and connections
/// included, for as long as the disk takes. A dispatch queue gets a thread of its own.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
