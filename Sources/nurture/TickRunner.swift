import Foundation
import Logging
import NurtureCore
import NurtureDelivery
import ServiceLifecycle

/// Runs ticks for `run`: builds the send loop, prints progress and the summary, and
/// maps the outcome to an exit code.
struct TickRunner {
    let project: Project
    let catalog: CampaignCatalog
    let store: any Store
    /// The send loop's log (`run --log-level`); silent by default.
    var logger = Logger(label: "nurture.run", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Four messages per commit: at one connection a commit (an fsync of a few hundred
    /// microseconds on a virtual disk) then keeps pace with the wire, and a crash leaves at
    /// most eight messages per connection for `retry-unknown` to settle.
    static let defaultAdmitAhead = 4

    func loop(transport: any Transport) async throws -> SendLoop {
        let signer = try await project.linkSigner(store: store)
        var loop = SendLoop(
            catalog: catalog, store: store, transport: transport, planner: project.planner,
            unsubscribeURL: project.unsubscribeURL(signer: signer), wallClock: Date.init)
        loop.unsubscribeMailbox = project.settings.unsubscribeMailbox
        loop.dkim = try project.dkimSigner()
        loop.complaintGuard = project.settings.complaintGuard
        if let sender = project.settings.smtp.envelopeFrom, project.settings.smtp.verp {
            loop.returnPath = ReturnPath(base: try EmailAddress(sender), signer: signer)
        }
        loop.logger = logger
        loop.admitAhead = project.settings.smtp.admitAhead ?? Self.defaultAdmitAhead
        loop.scoreRules = project.settings.scoreRules
        loop.stageRules = project.settings.stageRules
        if project.tracksLinks { loop.linkRewriter = LinkRewriter(links: project.trackingLinks(signer: signer)) }
        return loop
    }

    /// One tick. The caller has told the store the webhooks first
    /// (`Project.webhookDispatcher`), so the tick's own stage events get deliveries, and
    /// posts them off the tick's path.
    func tick(
        transport: any Transport, now: Date, limit: Int?,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) async throws -> TickSummary {
        try await withTaskExecutorPreference(TickExecutor.shared) {
            // Unconfirmed subscriptions are kept `subscribe.pending_days`, then forgotten.
            _ = try await store.forgetPendingSubscriptions(
                before: now.addingTimeInterval(-Double(project.settings.pendingDays) * 86_400))
            return try await loop(transport: transport).tick(
                now: now, limit: limit, progress: progress, shouldStop: shouldStop)
        }
    }

    func runOnce(now: Date, limit: Int?, dryRun: Bool) async throws {
        if dryRun {
            try await runDry(now: now, limit: limit)
            return
        }
        let transport = try project.openTransport(journaled: true)
        if transport is OutboxTransport { Terminal.writeError("no SMTP URL configured: writing messages to outbox/\n") }
        let webhooks = try await project.webhookDispatcher(store: store)
        let progress = ProgressBar()
        var summary: TickSummary
        let started = Date()
        do {
            summary = try await tick(transport: transport, now: now, limit: limit, progress: progress.update)
        } catch SendLoop.TickError.anotherTickRunning {
            print("another tick is running on this store; nothing done")
            return
        }
        progress.finish()
        // After the tick's mail: what it (and anything before it) left in the outbox.
        if let webhooks { (summary.webhooksDelivered, summary.webhooksFailed) = try await webhooks.run(now: now) }
        try? await store.recordTick(
            finishedAt: Date(), seconds: Date().timeIntervalSince(started), outcome: summary.outcome)
        try report(summary, transportName: transport.name)
    }

    /// Everything a tick would do, without changing the store: on SQLite, on a private
    /// snapshot of the store that is then thrown away (the real store is only read, in
    /// one short read transaction); on PostgreSQL, in one transaction rolled back at the end.
    private func runDry(now: Date, limit: Int?) async throws {
        let transport = DryRunTransport()
        let summary = try await store.withDiscardedChanges { view in
            try await TickRunner(project: project, catalog: catalog, store: view, logger: logger).loop(
                transport: transport
            ).tick(now: now, limit: limit)
        }
        for message in transport.messages {
            print("would send \(message.campaignID)/\(message.stepID) to \(message.recipient): \(message.subject)")
        }
        print("dry run (nothing was changed): \(summary)")
    }

    private func report(_ summary: TickSummary, transportName: String) throws {
        var line = "\(summary)"
        if summary.limitReached { line += "; --limit reached, more is due" }
        print(line)
        if let reason = summary.stoppedBecause {
            throw WorldError("the tick stopped: \(reason); nothing more was sent")
        }
        if summary.sent == 0, summary.retrying > 0 {
            let why = summary.lastRetryReason.map { " (last: \($0))" } ?? ""
            throw WorldError(
                "no message could be delivered through \(transportName); \(summary.retrying) will be retried\(why)")
        }
    }

    /// Ticks every `seconds` until SIGTERM or SIGINT, as a service in a `ServiceGroup`
    /// after the store's own (`services`: the PostgreSQL pool): a signal lets the messages
    /// in flight finish, records them, and stops; the pool stops after that. `firstCheck`
    /// runs inside the group (the store answers only once its pool runs) before any tick.
    func runEvery(
        seconds: Int, limit: Int?, beside services: [any Service],
        firstCheck: @escaping @Sendable () async throws -> Void
    ) async throws {
        let transport = try project.openTransport(journaled: true)
        Terminal.writeError("running a tick every \(seconds)s; stop with Ctrl-C or SIGTERM\n")
        Signals.unblockTermination()
        var logger = Logger(label: "nurture.run")
        logger.logLevel = .error
        let ticks = TickService(
            runner: self, transport: transport, seconds: seconds, limit: limit, firstCheck: firstCheck)
        let group = ServiceGroup(
            configuration: .init(
                services: services + [ticks], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        Terminal.writeError("stopped\n")
    }
}

/// `run --every`: one tick after another until the group shuts down gracefully.
struct TickService: Service {
    let runner: TickRunner
    let transport: any Transport
    let seconds: Int
    let limit: Int?
    let firstCheck: @Sendable () async throws -> Void

    /// How long a signal waits for the messages in flight before the process leaves
    /// anyway. A tick stuck on the world (a store that holds a lock for minutes, a mail
    /// server that never answers) must not keep a service manager waiting: what was in
    /// flight is settled by the next tick, as after a crash (in doubt, never resent).
    static let stopGrace: Duration = .seconds(10)

    func run() async throws {
        try await firstCheck()
        let webhooks = try await runner.project.webhookDispatcher(store: runner.store)
        let stop = StopFlag()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Webhooks beside the ticks, never between them: a slow receiver
                // delays no mail.
                if let webhooks { group.addTask { await post(webhooks, until: stop) } }
                do {
                    try await tickLoop(until: stop)
                } catch {
                    stop.set()  // the posting ends with the ticks
                    throw error
                }
            }
        } onGracefulShutdown: {
            stop.set()
            Self.leaveIfStillRunning(after: Self.stopGrace)
        }
    }

    private func tickLoop(until stop: StopFlag) async throws {
        var outage = StoreOutage()
        while !stop.isSet {
            let started = Date()
            var next = started.addingTimeInterval(TimeInterval(seconds))
            do {
                let summary = try await runner.tick(
                    transport: transport, now: started, limit: limit, shouldStop: { stop.isSet })
                try? await runner.store.recordTick(
                    finishedAt: Date(), seconds: Date().timeIntervalSince(started), outcome: summary.outcome)
                var line = "\(TimeText.utc(started)): \(summary)"
                if let reason = summary.stoppedBecause { line += "; stopped: \(reason)" }
                print(line)
                if outage.isOn { Terminal.writeError("\(TimeText.utc(Date())): the store answers again\n") }
                outage.end()
            } catch SendLoop.TickError.anotherTickRunning {
                print("\(TimeText.utc(started)): another tick is running; skipped")
            } catch let error as StoreError where error.isPassing {
                // A store that went away (a restart, a failover) comes back: keep the
                // service up and try again, less often the longer it lasts.
                let pause = outage.next()
                next = Date().addingTimeInterval(pause)
                Terminal.writeError("\(TimeText.utc(Date())): \(error); next try in \(Int(pause))s\n")
            }
            await Self.sleep(until: next, unless: stop)
        }
    }

    /// Posts the webhook outbox every second (what each tick leaves is posted within a
    /// second of it), in rounds that end early on a signal.
    private func post(_ webhooks: WebhookDispatcher, until stop: StopFlag) async {
        var outage = StoreOutage()
        while !stop.isSet {
            var pause: TimeInterval = 1
            do {
                let (delivered, failed) = try await webhooks.run(now: Date(), shouldStop: { stop.isSet })
                if delivered + failed > 0 {
                    print("\(TimeText.utc(Date())): webhooks: \(delivered) delivered, \(failed) failed")
                }
                outage.end()
            } catch let error as StoreError where error.isPassing {
                pause = outage.next()
                Terminal.writeError("\(TimeText.utc(Date())): webhooks: \(error); next try in \(Int(pause))s\n")
            } catch {
                // Anything else ends the posting, not the mail; `status` shows the backlog.
                Terminal.writeError("\(TimeText.utc(Date())): webhooks stopped: \(error)\n")
                return
            }
            await Self.sleep(until: Date().addingTimeInterval(pause), unless: stop)
        }
    }

    /// Sleeps until `deadline`, waking early once `stop` is set.
    private static func sleep(until deadline: Date, unless stop: StopFlag) async {
        while !stop.isSet, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(200))
        }
    }

    /// Ends the process if it has not ended by itself `grace` from now.
    static func leaveIfStillRunning(after grace: Duration) {
        let thread = Thread {
            Thread.sleep(forTimeInterval: Double(grace.components.seconds))
            Terminal.writeError(
                "still waiting on the store or a mail server \(grace.components.seconds)s after the signal: leaving now; what was in flight is settled by the next tick\n"
            )
            fflush(nil)  // every stream: the tick lines printed so far
            _exit(2)
        }
        thread.start()
    }
}

extension StoreError {
    /// A failure that passes by itself: the store out of reach or held by another process.
    var isPassing: Bool { kind == .unreachable || kind == .busy }
}

/// Retries after a store outage: 1 s, then twice as long each time, at most a minute.
struct StoreOutage {
    private var failures = 0

    var isOn: Bool { failures > 0 }

    /// Seconds to wait before the next try, counting this failure.
    mutating func next() -> TimeInterval {
        failures += 1
        return min(60, pow(2, Double(failures - 1)))
    }

    mutating func end() { failures = 0 }
}

/// A failure of the world (SMTP down, store locked): exit code 2.
struct WorldError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
