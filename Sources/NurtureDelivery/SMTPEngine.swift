import CCurlShim
import Foundation

/// Drives every SMTP connection of a tick from one thread of its own, with libcurl's
/// multi interface.
///
/// A thread per connection would wake once per reply of every message (MAIL FROM, RCPT,
/// DATA, the final dot), each wake a context switch; one thread polling all connections
/// handles whatever replies arrived together in one wake, as `smtp-source` and the bare
/// libcurl benchmark do. Sends are handed in from any thread (`send`) and their outcomes
/// resume the callers; libcurl itself is only ever touched by the engine's thread.
final class SMTPEngine: @unchecked Sendable {
    private struct Job {
        var from: String
        var to: String
        var data: String
        /// Asked on the engine's thread right before the message is handed over.
        var check: (@Sendable () throws -> Bool)?
        /// Told what became of the send (nil when `check` said no), on the engine's thread.
        var finish: @Sendable (Result<Attempt?, any Error>) -> Void
    }

    /// What became of a send: the outcome, and whether it was tried at all (not when an
    /// earlier outcome of this tick said to leave the server alone; `outcome` is that one).
    struct Attempt {
        var outcome: SMTPOutcome
        var tried: Bool
    }

    private let settings: SMTPSettings
    private let maxConnections: Int
    private let multi: UnsafeMutableRawPointer?
    /// Guards `submitted`, `closing`, `polling`, `ended` and `hasEnded`; signalled when
    /// work arrives.
    private let condition = NSCondition()
    private var submitted: [Job] = []
    private var closing = false
    private var polling = false
    /// Connections free or not yet opened while the engine polls: a send handed in while
    /// every connection is busy waits for the next one to finish anyway, which wakes the
    /// engine, so it need not wake the engine itself.
    private var freeConnections = 0
    private var ended: CheckedContinuation<Void, Never>?
    private var hasEnded = false

    // The engine thread's own state.
    private var idle: [UnsafeMutableRawPointer?] = []
    private var opened = 0
    private var waiting: [Job] = []
    private var running: [Int: Job] = [:]
    private var nextJobID = 1
    /// The first outcome after which the server is left alone for the rest of the tick
    /// (see `leavesServerAlone`): the sends still waiting get it too, untried.
    private var halted: SMTPOutcome?
    private let leavesServerAlone: @Sendable (SMTPOutcome) -> Bool

    /// `leavesServerAlone` says which outcomes end sending for this engine: those that
    /// stop the tick, or ask us to slow down.
    init(settings: SMTPSettings, leavesServerAlone: @escaping @Sendable (SMTPOutcome) -> Bool) {
        self.settings = settings
        self.leavesServerAlone = leavesServerAlone
        maxConnections = max(1, settings.maxConnections)
        multi = nurture_smtp_multi_new(maxConnections)
        let thread = Thread { [self] in loop() }
        thread.name = "nurture.smtp"
        thread.start()
    }

    /// Queues one message for the next free connection and returns at once. `finish` is
    /// called on the engine's thread with what became of it: nil when `check`, asked
    /// right before the hand-over, said no; its error when it threw. A caller collecting
    /// many outcomes wakes once for all that finished together, not once per message.
    func submit(from: String, to: String, data: String, check: (@Sendable () throws -> Bool)?,
                finish: @escaping @Sendable (Result<Attempt?, any Error>) -> Void) {
        condition.lock()
        submitted.append(Job(from: from, to: to, data: data, check: check, finish: finish))
        let wake = polling && freeConnections > 0
        condition.signal()
        condition.unlock()
        // The engine may be asleep in libcurl's poll rather than on the condition.
        if wake, let multi { nurture_smtp_multi_wakeup(multi) }
    }

    /// Lets the sends in progress finish, then closes every connection (QUIT) and ends the
    /// thread. No send may be handed in after this.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            if hasEnded {
                condition.unlock()
                continuation.resume()
                return
            }
            ended = continuation
            let wake = polling
            condition.signal()
            condition.unlock()
            if wake, let multi { nurture_smtp_multi_wakeup(multi) }
        }
    }

    private func loop() {
        while true {
            condition.lock()
            // Nothing on the wire: sleep on the condition until a send or the close comes.
            while submitted.isEmpty && running.isEmpty && waiting.isEmpty && !closing { condition.wait() }
            waiting.append(contentsOf: submitted)
            submitted.removeAll(keepingCapacity: true)
            let closeNow = closing && running.isEmpty && waiting.isEmpty
            polling = !closeNow
            condition.unlock()
            if closeNow { break }
            startWaiting()
            condition.lock()
            freeConnections = idle.count + maxConnections - opened
            // A send handed in since the top of the loop may not have woken us.
            let startMore = !submitted.isEmpty && freeConnections > 0
            condition.unlock()
            if !startMore, let multi, !running.isEmpty {
                nurture_smtp_multi_step(multi, 1000)
                collectFinished(multi)
            }
            condition.lock()
            polling = false
            condition.unlock()
        }
        let lender = idle.last ?? nil
        if let multi { nurture_smtp_multi_free(multi, lender) }
        for handle in idle { nurture_smtp_close(handle) }
        idle.removeAll()
        condition.lock()
        hasEnded = true
        let continuation = ended
        ended = nil
        condition.unlock()
        continuation?.resume()
    }

    /// Starts waiting jobs on free connections, opening new ones up to the maximum. A
    /// job's check is asked only once a connection is free for it: right before the
    /// hand-over.
    private func startWaiting() {
        while !waiting.isEmpty, !idle.isEmpty || opened < maxConnections {
            let job = waiting.removeFirst()
            if let halted {
                job.finish(.success(Attempt(outcome: halted, tried: false)))
                continue
            }
            do {
                if let check = job.check, try !check() {
                    job.finish(.success(nil))
                    continue
                }
            } catch {
                job.finish(.failure(error))
                continue
            }
            let handle: UnsafeMutableRawPointer?
            if let free = idle.popLast() {
                handle = free
            } else {
                handle = SMTPConnectionHandle.open(settings)
                opened += 1
            }
            start(job, on: handle)
        }
    }

    /// Hands `job` to libcurl on `handle`, or answers it with why it could not start.
    private func start(_ job: Job, on handle: UnsafeMutableRawPointer?) {
        guard let handle, let multi else {
            // A handle that could not be made stays counted, so it is not remade per job.
            idle.append(handle)
            job.finish(.success(Attempt(outcome: SMTPOutcome(curlCode: 2, replyCode: 0, stage: .connect, error: "libcurl could not start"), tried: true)))
            return
        }
        let id = nextJobID
        nextJobID += 1
        var body = job.data
        let started = body.withUTF8 { bytes in
            job.from.withCString { sender in
                job.to.withCString { recipient in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        nurture_smtp_multi_start(multi, handle, sender, recipient, chars.baseAddress, chars.count, UnsafeMutableRawPointer(bitPattern: id))
                    }
                }
            }
        }
        if started == 0 {
            running[id] = job
        } else {
            idle.append(handle)
            job.finish(.success(Attempt(outcome: SMTPOutcome(curlCode: 27, replyCode: 0, stage: .connect, error: "out of memory starting a send"), tried: true)))
        }
    }

    /// Resumes the callers of every send that finished; their connections are free again.
    private func collectFinished(_ multi: UnsafeMutableRawPointer) {
        var result = nurture_smtp_result()
        var handle: UnsafeMutableRawPointer?
        while let context = nurture_smtp_multi_done(multi, &handle, &result) {
            idle.append(handle)
            guard let job = running.removeValue(forKey: Int(bitPattern: context)) else { continue }
            let outcome = SMTPConnectionHandle.outcome(result)
            if halted == nil, leavesServerAlone(outcome) { halted = outcome }
            job.finish(.success(Attempt(outcome: outcome, tried: true)))
        }
    }
}
