import CCurlShim
import Foundation

/// Drives the SMTP connections of a tick: one thread per connection, each sending on a
/// libcurl easy handle of its own that keeps that connection open, all taking sends from
/// one queue.
///
/// Why a thread per connection (issue 41.2): libcurl's SMTP waits for the reply to the
/// final dot inside its "done" step, blocking whatever drives the multi handle; with
/// every connection in one multi (the engine's first design), one server slow to
/// answer a dot stalled every connection, and a message admitted for one connection
/// could wait seconds behind another's reply before its MAIL FROM went out. Now a slow
/// reply delays only its own connection, and each send's check runs on the thread that
/// writes its MAIL FROM, right before it. Figures for both designs: README ("Delivery
/// through SMTP") and `scripts/bench/delivery-ab.sh`.
final class SMTPEngine: @unchecked Sendable {
    private struct Job {
        var messageID: String
        var from: String
        var to: String
        var data: String
        /// Asked on the connection's thread right before the message is handed over.
        var check: (@Sendable () throws -> Bool)?
        /// Told what became of the send (nil when `check` said no), on that thread.
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
    private let leavesServerAlone: @Sendable (SMTPOutcome) -> Bool
    /// This tick's journal of sends started and accepted, if any.
    let journal: SendJournal?

    /// Guards everything below; signalled when a send or the close arrives.
    private let condition = NSCondition()
    private var queued: [Job] = []
    private var closing = false
    /// Connection threads started, and those waiting for a send.
    private var threads = 0
    private var idleThreads = 0
    private var ended = 0
    private var endedContinuation: CheckedContinuation<Void, Never>?
    /// The first outcome after which the server is left alone for the rest of the tick:
    /// the sends still queued get it too, untried.
    private var halted: SMTPOutcome?

    /// `leavesServerAlone` says which outcomes end sending for this engine: those that
    /// stop the tick, or ask us to slow down.
    init(settings: SMTPSettings, journal: SendJournal?, leavesServerAlone: @escaping @Sendable (SMTPOutcome) -> Bool) {
        self.journal = journal
        self.settings = settings
        self.leavesServerAlone = leavesServerAlone
        maxConnections = max(1, settings.maxConnections)
    }

    /// Queues one message for the next free connection and returns at once. `finish` is
    /// called on that connection's thread with what became of it: nil when `check`, asked
    /// right before the hand-over, said no; its error when it threw.
    func submit(
        messageID: String, from: String, to: String, data: String, check: (@Sendable () throws -> Bool)?,
        finish: @escaping @Sendable (Result<Attempt?, any Error>) -> Void
    ) {
        condition.lock()
        queued.append(Job(messageID: messageID, from: from, to: to, data: data, check: check, finish: finish))
        // A connection opens only when every one open is busy: a tick of one message
        // opens one connection.
        let startThread = idleThreads == 0 && threads < maxConnections
        if startThread { threads += 1 }
        condition.signal()
        condition.unlock()
        if startThread {
            let thread = Thread { [self] in connectionLoop() }
            thread.name = "nurture.smtp"
            thread.start()
        }
    }

    /// Lets the sends queued and in progress finish, then closes every connection (QUIT)
    /// and ends the threads. No send may be handed in after this.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            closing = true
            if ended == threads {
                condition.unlock()
                continuation.resume()
                return
            }
            endedContinuation = continuation
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The next send for a free connection, with the outcome that halted the tick if one
    /// did; nil once the engine closes and nothing is queued.
    private func nextJob() -> (Job, halted: SMTPOutcome?)? {
        condition.lock()
        defer { condition.unlock() }
        idleThreads += 1
        while queued.isEmpty && !closing { condition.wait() }
        idleThreads -= 1
        guard !queued.isEmpty else { return nil }
        return (queued.removeFirst(), halted)
    }

    /// One connection: takes sends one after another, each checked right before its
    /// MAIL FROM, until the engine closes; then QUIT.
    private func connectionLoop() {
        var handle: UnsafeMutableRawPointer?
        var opened = false
        while let (job, halted) = nextJob() {
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
            if !opened {
                handle = SMTPConnectionHandle.open(settings)
                opened = true
            }
            // Written before the MAIL FROM: after a crash, a message not in the journal
            // never reached the server.
            journal?.started(job.messageID)
            let outcome = send(job, on: handle)
            if outcome.curlCode == 0 { journal?.delivered(job.messageID) }
            if leavesServerAlone(outcome) {
                condition.lock()
                if self.halted == nil { self.halted = outcome }
                condition.unlock()
            }
            job.finish(.success(Attempt(outcome: outcome, tried: true)))
        }
        if let handle { nurture_smtp_close(handle) }
        condition.lock()
        ended += 1
        // Every send's outcome has been handed back; the send loop records them all
        // before the tick ends, when the transport removes the journal.
        let continuation = ended == threads ? endedContinuation : nil
        if continuation != nil { endedContinuation = nil }
        condition.unlock()
        continuation?.resume()
    }

    /// Sends `job` on `handle` and waits for its outcome on this thread.
    private func send(_ job: Job, on handle: UnsafeMutableRawPointer?) -> SMTPOutcome {
        guard let handle else {
            return SMTPOutcome(curlCode: 2, replyCode: 0, stage: .connect, error: "libcurl could not start")
        }
        var body = job.data
        var result = nurture_smtp_result()
        let started = body.withUTF8 { bytes in
            job.from.withCString { sender in
                job.to.withCString { recipient in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        nurture_smtp_send(handle, sender, recipient, chars.baseAddress, chars.count, &result)
                    }
                }
            }
        }
        guard started == 0 else {
            return SMTPOutcome(curlCode: 27, replyCode: 0, stage: .connect, error: "out of memory starting a send")
        }
        return SMTPConnectionHandle.outcome(result)
    }
}
