import Foundation

/// One tick of the send loop: enrol, pick what is due, decide, render, deliver, record.
///
/// Talks to the world only through `Store` and `Transport`; `now` is passed in, so a
/// test or a backfill can replay days in seconds.
public struct SendLoop: Sendable {
    public var catalog: CampaignCatalog
    public var store: any Store
    public var transport: any Transport
    public var planner: DripPlanner
    public var retryPolicy = RetryPolicy()
    /// How many enrolments are decided and claimed per store transaction. A crash can
    /// leave at most this many messages in doubt.
    public var batchSize = 50
    /// The unsubscribe link of a message.
    public var unsubscribeURL: @Sendable (_ enrollmentID: Int64, _ step: String) -> String

    public init(
        catalog: CampaignCatalog, store: any Store, transport: any Transport, planner: DripPlanner,
        unsubscribeURL: @escaping @Sendable (Int64, String) -> String
    ) {
        self.catalog = catalog
        self.store = store
        self.transport = transport
        self.planner = planner
        self.unsubscribeURL = unsubscribeURL
    }

    public enum TickError: Error, Equatable {
        /// Another tick holds the send lock.
        case anotherTickRunning
    }

    /// Runs one tick at `now`. `limit` caps the messages handed to the transport;
    /// `progress` is told (done, total) after each message. `shouldStop` is checked
    /// between messages, so a signal finishes the message in flight and no more.
    public func tick(
        now: Date, limit: Int? = nil, progress: @Sendable (Int, Int) -> Void = { _, _ in },
        shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> TickSummary {
        guard let lock = try await store.acquireSendLock() else { throw TickError.anotherTickRunning }
        do {
            let summary = try await run(now: now, limit: limit, progress: progress, shouldStop: shouldStop)
            await lock.release()
            return summary
        } catch {
            await lock.release()
            throw error
        }
    }

    private func run(
        now: Date, limit: Int?, progress: @Sendable (Int, Int) -> Void, shouldStop: @Sendable () -> Bool
    ) async throws -> TickSummary {
        var summary = TickSummary()
        summary.recovered = try await recoverInterruptedSends(now: now, summary: &summary)
        for campaign in catalog.campaigns {
            summary.enrolled += try await store.enroll(campaignID: campaign.id, rule: campaign.enroll, now: now)
        }
        let total = try await store.countDue(now: now)
        var handed = 0
        while !shouldStop() {
            let due = try await store.dueEnrollments(now: now, limit: batchSize)
            if due.isEmpty { break }
            let remaining = limit.map { max(0, $0 - handed) }
            let decisions = decide(due, now: now, allowance: remaining, summary: &summary)
            if decisions.limited { summary.limitReached = true }
            let claims = try await store.apply(decisions.changes, now: now)
            // Render and compose in order (CPU), then hand over up to the transport's
            // concurrency at a time.
            let prepared = claims.compactMap { claim in
                decisions.work[claim.enrollmentID].map { (claim: claim, work: $0, message: compose(claim, work: $0, now: now)) }
            }
            let results = await deliverAll(prepared.map(\.message), shouldStop: shouldStop) { _ in
                handed += 1
                progress(handed, max(total, handed))
            }
            var records: [DeliveryRecord] = []
            for (index, item) in prepared.enumerated() {
                guard let result = results[index] else {
                    // A stop signal or a fatal error kept it from being handed over: due again.
                    records.append(DeliveryRecord(claim: item.claim, outcome: .deferred(retryAt: now, error: "the tick stopped before sending it")))
                    continue
                }
                records.append(record(result, claim: item.claim, work: item.work, now: now, summary: &summary))
            }
            try await store.record(records, now: now)
            if decisions.limited || summary.stoppedBecause != nil { break }
        }
        await transport.finish()
        return summary
    }

    struct Work {
        var campaign: Campaign
        var step: Step
        var lead: Lead
        var snapshot: EnrollmentSnapshot
    }

    /// The planner's verdict for each due enrolment, as store changes.
    private func decide(_ due: [DueEnrollment], now: Date, allowance: Int?, summary: inout TickSummary)
        -> (changes: [EnrollmentChange], work: [Int64: Work], limited: Bool)
    {
        var changes: [EnrollmentChange] = []
        var work: [Int64: Work] = [:]
        var limited = false
        for item in due {
            let id = item.snapshot.id
            guard let campaign = catalog.campaign(item.snapshot.campaignID) else {
                // The campaign file is gone or broken: the drip waits, nothing is lost.
                changes.append(EnrollmentChange(enrollmentID: id, outcome: .reschedule(at: nil, step: nil)))
                continue
            }
            let plan = planner.plan(campaign: campaign, lead: item.lead, snapshot: item.snapshot, now: now)
            summary.skipped += plan.skipped.count
            let outcome: EnrollmentChange.Outcome
            switch plan.action {
            case .send(let step), .retry(let step):
                if let allowance, work.count >= allowance {
                    limited = true
                    outcome = .reschedule(at: now, step: step.id)
                } else {
                    work[id] = Work(campaign: campaign, step: step, lead: item.lead, snapshot: item.snapshot)
                    if case .retry = plan.action {
                        outcome = .retry(step: step.id)
                    } else {
                        outcome = .claim(step: step.id, messageID: MessageComposer.messageID(enrollmentID: id, step: step.id, campaign: campaign))
                    }
                }
            case .wait(let until, let step): outcome = .reschedule(at: until, step: step)
            case .blocked(let step): outcome = .reschedule(at: nil, step: step)
            case .complete:
                summary.completed += 1
                outcome = .end(.completed, reason: "every step is behind the lead")
            case .exit(let step):
                summary.exited += 1
                outcome = .end(.exited, reason: "the condition of step '\(step)' was false (else: exit)")
            case .suppressed(let status):
                summary.suppressed += 1
                outcome = .end(.suppressed, reason: "the lead is \(status.rawValue)")
            }
            changes.append(EnrollmentChange(enrollmentID: id, skipped: plan.skipped, outcome: outcome))
        }
        return (changes, work, limited)
    }

    private func compose(_ claim: Claim, work: Work, now: Date) -> OutgoingMessage {
        let unsubscribe = unsubscribeURL(claim.enrollmentID, claim.step)
        let rendered = MessageRenderer(templates: catalog.templates).render(
            campaign: work.campaign, step: work.step, lead: work.lead, unsubscribeURL: unsubscribe)
        return MessageComposer().compose(
            rendered: rendered, campaign: work.campaign, step: work.step, lead: work.lead, messageID: claim.messageID,
            unsubscribeURL: unsubscribe, date: now)
    }

    /// Hands messages to the transport, at most `maxConcurrentDeliveries` at once, in
    /// order. Nil marks a message never handed over (a stop signal, or a fatal error
    /// before its turn).
    private func deliverAll(
        _ messages: [OutgoingMessage], shouldStop: @Sendable () -> Bool, onResult: (Int) -> Void
    ) async -> [DeliveryResult?] {
        var results = [DeliveryResult?](repeating: nil, count: messages.count)
        let transport = self.transport
        let width = max(1, transport.maxConcurrentDeliveries)
        await withTaskGroup(of: (Int, DeliveryResult).self) { group in
            var next = 0
            var stopped = false
            while next < messages.count, next < width, !shouldStop() {
                let index = next
                group.addTask { (index, await transport.deliver(messages[index])) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                onResult(index)
                if case .fatal = result { stopped = true }
                if !stopped, next < messages.count, !shouldStop() {
                    let index = next
                    group.addTask { (index, await transport.deliver(messages[index])) }
                    next += 1
                }
            }
        }
        return results
    }

    private func record(_ result: DeliveryResult, claim: Claim, work: Work, now: Date, summary: inout TickSummary) -> DeliveryRecord {
        switch result {
        case .delivered:
            summary.sent += 1
            var after = work.snapshot
            after.steps[claim.step] = .sent
            after.lastSentAt = now
            let next = planner.plan(campaign: work.campaign, lead: work.lead, snapshot: after, now: now)
            if case .wait(let until, let step) = next.action {
                return DeliveryRecord(claim: claim, outcome: .sent, nextDueAt: until, nextStep: step)
            }
            // Anything else (a 0m wait, a skip, the end) is settled by the next batch.
            return DeliveryRecord(claim: claim, outcome: .sent, nextDueAt: now, nextStep: nil)
        case .transient(let error):
            guard let retryAt = retryPolicy.retryTime(after: claim.attempts, now: now) else {
                summary.failed += 1
                return DeliveryRecord(claim: claim, outcome: .failed(error: "gave up after \(claim.attempts) attempts: \(error)", bounce: false))
            }
            summary.retrying += 1
            return DeliveryRecord(claim: claim, outcome: .deferred(retryAt: retryAt, error: error))
        case .permanent(let error, let recipientRefused):
            summary.failed += 1
            return DeliveryRecord(claim: claim, outcome: .failed(error: error, bounce: recipientRefused))
        case .unknown(let error):
            summary.unknown += 1
            return DeliveryRecord(claim: claim, outcome: .unknown(error: error))
        case .fatal(let error):
            summary.stoppedBecause = error
            return DeliveryRecord(claim: claim, outcome: .deferred(retryAt: now, error: error))
        }
    }

    /// Messages a dead tick left in `sending`: the transport says whether they arrived
    /// where it can tell; the rest become `unknown` and are never resent silently.
    private func recoverInterruptedSends(now: Date, summary: inout TickSummary) async throws -> Int {
        let interrupted = try await store.interruptedSends()
        guard !interrupted.isEmpty else { return 0 }
        var resolutions: [(send: InterruptedSend, delivered: Bool?)] = []
        for send in interrupted {
            resolutions.append((send, send.messageID.isEmpty ? false : await transport.wasDelivered(messageID: send.messageID)))
        }
        try await store.resolveInterrupted(resolutions, now: now)
        summary.unknown += resolutions.filter { $0.delivered == nil }.count
        return resolutions.filter { $0.delivered != nil }.count
    }
}
