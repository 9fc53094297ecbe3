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
            spinWhileIdle()
            condition.lock()
            while queued.isEmpty { condition.wait() }
            swap(&queued, &running)
            condition.unlock()
            for job in running { job.runSynchronously(on: asUnownedTaskExecutor()) }
            running.removeAll(keepingCapacity: true)
        }
    }

    /// How long the thread keeps looking for work before it sleeps. A reply on the wire
    /// usually brings the next job within a round trip (tens of microseconds on a fast
    /// link), and on a virtual machine a sleeping thread's core halts: waking it costs an
    /// interrupt to the other core and a wake-up there, once per outcome. Looking for a
    /// moment first skips that, at the price of at most this much spinning per idle
    /// spell (between ticks the thread sleeps as before). The shared delivery
    /// benchmark's message and libcurl loop, five runs each in shuffled order, median
    /// of bare libcurl: 1 connection 0.75 -> 1.72 (100 µs), 4 connections 0.88 -> 1.0
    /// (100 µs) and 1.01 (300 µs), 8 connections 0.75 -> 0.82 (100 µs), 0.89 (200 µs),
    /// 0.87 (300 µs); 600 and 1,000 µs gained nothing more at 8. Spinning in the SMTP
    /// engine's poll as well was worse (0.91 -> 0.61 at 4): that core is the one the
    /// mail server needs.
    ///
    /// The spin gives its core away each time round (`sched_yield`): the engine's
    /// thread or the mail server, woken by a reply on a core this thread is spinning
    /// on, would otherwise wait for the scheduler to preempt a thread doing nothing.
    /// Yielding, a longer look costs the wire nothing. The same benchmark at 4
    /// connections, twelve runs each alternating with the anchor: 200 µs without
    /// yielding 5,950 msg/s (median), 400 µs yielding 6,500; 1 and 3 ms yielding no
    /// better; 8 connections alike either way (0.88 and 0.83 of bare libcurl, means
    /// of five), 1 connection 1.53 and 1.74.
    static let spinNanoseconds: UInt64 = 400_000

    /// Returns once a job is queued or `spinNanoseconds` have passed.
    private func spinWhileIdle() {
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            condition.lock()
            let empty = queued.isEmpty
            condition.unlock()
            if !empty || DispatchTime.now().uptimeNanoseconds - start > Self.spinNanoseconds { return }
            sched_yield()
        }
    }
}
