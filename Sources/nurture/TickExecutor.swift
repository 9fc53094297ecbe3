import Foundation

/// The thread a tick's own work runs on: picking, deciding, composing, the delivery
/// lanes and the store's actor, all of it, while the SMTP engine drives the wire from a
/// thread of its own.
///
/// On the global pool (a thread per core) every hop between the producer, the lanes and
/// the store actor could land on another thread and wake it, and those threads took
/// the cores from the engine's thread and the mail server's just when a reply came in:
/// the wire waited on the scheduler, not on us. One thread does the same work
/// (well under a core's worth at the wire's pace), hops between its tasks without a
/// wake, and leaves the second core to the wire. Measured with the shared delivery
/// benchmark at 4 connections, six alternating runs: 0.72 of bare libcurl on the pool,
/// 0.78 here.
///
/// One thread for the life of the process, shared by every tick (`run --every` runs
/// them one after another): a job enqueued after a tick ended still finds it.
final class TickExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = TickExecutor()

    /// Guards `queued`; signalled when a job arrives while the thread may be waiting.
    private let condition = NSCondition()
    private var queued: [UnownedJob] = []

    private init() {
        let thread = Thread { [self] in runJobs() }
        thread.name = "nurture.tick"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        queued.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs what is queued in the order it came, taking everything queued at once so
    /// a burst costs one lock, not one per job.
    private func runJobs() {
        var running: [UnownedJob] = []
        while true {
            condition.lock()
            while queued.isEmpty { condition.wait() }
            swap(&queued, &running)
            condition.unlock()
            for job in running { job.runSynchronously(on: asUnownedTaskExecutor()) }
            running.removeAll(keepingCapacity: true)
        }
    }
}
