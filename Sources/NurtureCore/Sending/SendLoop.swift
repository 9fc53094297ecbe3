import Foundation
import NurtureMIME

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
    /// A `mailto:` address for List-Unsubscribe besides the link, if configured.
    public var unsubscribeMailbox: EmailAddress?
    /// The unsubscribe link of a message.
    public var unsubscribeURL: @Sendable (_ enrollmentID: Int64, _ step: String) -> String
    /// Wraps links for open and click tracking; nil sends links as written.
    public var linkRewriter: LinkRewriter?
    /// How leads are scored, for conditions that read a score.
    public var scoreRules = ScoreRules()
    /// Lifecycle stages, checked at the start of each tick.
    public var stageRules = StageRules()
    /// The real clock, for when a message was accepted (`now` may be a replayed time);
    /// passed in like `now`, so the core never reads a clock of its own.
    public var wallClock: @Sendable () -> Date

    public init(
        catalog: CampaignCatalog, store: any Store, transport: any Transport, planner: DripPlanner,
        unsubscribeURL: @escaping @Sendable (Int64, String) -> String, wallClock: @escaping @Sendable () -> Date
    ) {
        self.wallClock = wallClock
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
    /// `progress` is told (done, total) after each batch. `shouldStop` is checked
    /// before each message is handed over, so a signal lets the messages in flight
    /// finish and sends no more.
    public func tick(
        now: Date, limit: Int? = nil, progress: @Sendable (Int, Int) -> Void = { _, _ in },
        shouldStop: @escaping @Sendable () -> Bool = { false }
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

    /// A batch claimed in the store and composed, ready to hand over.
    struct Batch {
        var items: [(claim: Claim, work: Work, message: OutgoingMessage)]
        var limited: Bool
    }

    /// A batch with the transport: its outcomes arrive one by one on `results` (every
    /// item exactly once; nil for one never handed over); `done` returns a store failure.
    struct Flight {
        var batch: Batch
        var results: AsyncStream<(index: Int, delivery: TimedDelivery?)>
        var done: Task<(any Error)?, Never>
    }

    /// Batches are pipelined: while one batch is with the transport, the next is picked,
    /// decided, claimed and composed, so the connections never wait for the store.
    private func run(
        now: Date, limit: Int?, progress: @Sendable (Int, Int) -> Void, shouldStop: @escaping @Sendable () -> Bool
    ) async throws -> TickSummary {
        var summary = TickSummary()
        summary.recovered = try await recoverInterruptedSends(now: now, summary: &summary)
        // Before enrolment: a campaign that enrols on a stage's event takes the lead in now.
        summary.staged = try await StageKeeper(store: store, rules: stageRules, scoreRules: scoreRules, catalog: catalog).run(now: now).count
        for campaign in catalog.campaigns {
            _ = try await store.refreshIfChanged(campaignID: campaign.id, fingerprint: campaign.schedulingFingerprint, now: now)
            // What the next `validate` and `run` compare an edit with (RenameCheck).
            try await store.recordKnownSteps(
                campaignID: campaign.id, templates: Dictionary(campaign.steps.map { ($0.id, $0.template) }, uniquingKeysWith: { first, _ in first }))
            summary.enrolled += try await store.enroll(campaignID: campaign.id, rule: campaign.enroll, now: now)
        }
        let (winners, decided) = try await VariantJudge(store: store, catalog: catalog).run(now: now)
        summary.winners = decided.map { "\($0.campaignID)/\($0.step): \($0.variant)" }
        let total = try await store.countDue(now: now, campaigns: catalog.campaigns.map(\.id))
        var claimed = 0
        var handed = 0
        var inFlight: Flight?
        var limited = false
        while true {
            let mayGoOn = !shouldStop() && summary.stoppedBecause == nil && !limited
            let next: Batch?
            do {
                next = mayGoOn
                    ? try await prepareBatch(now: now, allowance: limit.map { max(0, $0 - claimed) }, winners: winners, summary: &summary) : nil
            } catch {
                // The store failed: still record what is already with the transport, so
                // those messages are not left in doubt, then give up.
                if let flight = inFlight { _ = try? await collect(flight, now: now, summary: &summary) }
                await transport.finish()
                throw error
            }
            var recorded = false
            if let flight = inFlight {
                inFlight = nil
                do {
                    handed += try await collect(flight, now: now, summary: &summary)
                } catch {
                    await transport.finish()
                    throw error
                }
                progress(handed, max(total, handed))
                recorded = true
            }
            guard let batch = next else {
                // What was just recorded may have made more due now (a 0m next step, a
                // bounce to settle): look once more before stopping.
                if recorded && mayGoOn { continue }
                break
            }
            limited = batch.limited
            claimed += batch.items.count
            if batch.limited { summary.limitReached = true }
            if summary.stoppedBecause != nil || shouldStop() {
                // Claimed but never handed over: released, due again.
                try await store.record(batch.items.map { DeliveryRecord(claim: $0.claim, outcome: .released) }, now: now)
                break
            }
            let handOver = batch.items.map { (claim: $0.claim, message: $0.message) }
            let (results, sink) = AsyncStream.makeStream(of: (index: Int, delivery: TimedDelivery?).self)
            inFlight = Flight(batch: batch, results: results, done: Task { await deliverAll(handOver, now: now, to: sink, shouldStop: shouldStop) })
        }
        await transport.finish()
        return summary
    }

    /// Picks due enrolments, decides, claims and composes; nil when nothing more is due.
    private func prepareBatch(now: Date, allowance: Int?, winners: VariantWinners, summary: inout TickSummary) async throws -> Batch? {
        let readsScores = conditionsReadScores
        let readsStages = conditionsReadStages
        while true {
            var due = try await store.dueEnrollments(now: now, campaigns: catalog.campaigns.map(\.id), limit: batchSize)
            if due.isEmpty { return nil }
            if readsScores { try await fillScores(&due, now: now) }
            if readsStages { try await fillStages(&due) }
            let decisions = decide(due, now: now, allowance: allowance, winners: winners, summary: &summary)
            let claims = try await store.apply(decisions.changes, now: now)
            let composer = MessageComposer(dateHeader: MailDate.format(now), unsubscribeMailbox: unsubscribeMailbox)
            let items = claims.compactMap { claim in
                decisions.work[claim.enrollmentID].map {
                    (claim: claim, work: $0, message: compose(claim, work: $0, now: now, composer: composer))
                }
            }
            // A batch of waits, skips and endings claims nothing: look for the next one.
            if !items.isEmpty || decisions.limited { return Batch(items: items, limited: decisions.limited) }
        }
    }

    /// Records a batch's outcomes as they come back, in small groups (as many as there
    /// are connections), so a crash leaves in doubt only messages already handed over:
    /// at most two per connection. Returns how many were handed over.
    private func collect(_ flight: Flight, now: Date, summary: inout TickSummary) async throws -> Int {
        var handed = 0
        var group: [DeliveryRecord] = []
        let groupSize = max(1, transport.maxConcurrentDeliveries)
        for await (index, delivery) in flight.results {
            let item = flight.batch.items[index]
            var entry = DeliveryRecord(claim: item.claim, outcome: .released)
            if let delivery {
                handed += 1
                entry = record(delivery.result, claim: item.claim, work: item.work, now: now, summary: &summary)
                if entry.outcome == .sent { entry.deliveredAt = delivery.at }
            }
            group.append(entry)
            if group.count >= groupSize {
                try await store.record(group, now: now)
                group.removeAll(keepingCapacity: true)
            }
        }
        try await store.record(group, now: now)
        if let storeError = await flight.done.value { throw storeError }
        return handed
    }
}
