import Foundation
import Logging
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
    /// How many enrolments are decided and claimed per store transaction, and about how
    /// many claimed messages wait for a lane. Claimed messages a crash leaves are simply
    /// due again; only admitted ones (at most `2 × admitAhead` per connection) can be in doubt.
    public var batchSize = 50
    /// How many messages a delivery lane admits in one durable commit while as many of
    /// its messages are with the transport: a lane keeps at most twice this many admitted
    /// and not yet recorded, which is what a crash can leave in doubt per connection.
    /// More means fewer commits (a disk's fsync, not the wire, sets the pace at 1); 1
    /// admits each message alone, while the one before is on the wire.
    public var admitAhead = 1
    /// A `mailto:` address for List-Unsubscribe besides the link, if configured.
    public var unsubscribeMailbox: EmailAddress?
    /// Stops a campaign whose complaints pass its line (nil: no guard).
    public var complaintGuard: ComplaintGuard?
    /// DKIM keys to sign with (nil: none configured).
    public var dkim: DKIMSigner?
    /// Gives each message a return path of its own (nil: the transport's envelope sender).
    public var returnPath: ReturnPath?
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
    /// Each tick's start and end with its counts and why it stopped (info), each
    /// message's outcome (debug). Silent unless the caller gives one.
    public var logger = Logger(label: "nurture.run", factory: { _ in SwiftLogNoOpLogHandler() })

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
        guard let lock = try await store.acquireSendLock() else {
            logger.info("another tick is running; nothing done")
            throw TickError.anotherTickRunning
        }
        logger.info(
            "tick starting", metadata: ["now": "\(now.iso8601Seconds)", "limit": "\(limit.map(String.init) ?? "none")"])
        do {
            let summary = try await run(now: now, limit: limit, progress: progress, shouldStop: shouldStop)
            await lock.release()
            var counts: Logger.Metadata = [
                "sent": "\(summary.sent)", "skipped": "\(summary.skipped)", "retrying": "\(summary.retrying)",
                "failed": "\(summary.failed)",
                "unknown": "\(summary.unknown)", "enrolled": "\(summary.enrolled)", "converted": "\(summary.converted)",
                "held": "\(summary.held)",
            ]
            if let reason = summary.stoppedBecause { counts["stopped"] = "\(reason)" }
            logger.info("tick ended", metadata: counts)
            return summary
        } catch {
            await lock.release()
            logger.info("tick failed", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Ends, as converted, the drips whose goal event came true by `now`, dated by the
    /// event; returns how many.
    private func convertReachedGoals(now: Date) async throws -> Int {
        var changes: [EnrollmentChange] = []
        for campaign in catalog.campaigns where !campaign.exitOn.isEmpty {
            for goal in try await store.reachedGoals(campaignID: campaign.id, goals: campaign.exitOn, now: now) {
                changes.append(
                    EnrollmentChange(
                        enrollmentID: goal.enrollmentID, outcome: Self.conversion(by: goal.event, at: goal.at)))
            }
        }
        if !changes.isEmpty { _ = try await store.apply(changes, now: now) }
        return changes.count
    }

    /// The campaigns whose complaint guard has tripped, tripping those whose complaints
    /// in the window now pass the line.
    private func checkComplaintGuard(now: Date, summary: inout TickSummary) async throws -> [String: ComplaintGuard
        .Trip]
    {
        guard let complaintGuard else { return [:] }
        var trips = try await store.guardTrips()
        for (campaign, counts) in try await store.complaintCounts(since: now.addingTimeInterval(-complaintGuard.window))
        where trips[campaign] == nil && complaintGuard.trips(counts) && catalog.campaign(campaign) != nil {
            let trip = ComplaintGuard.Trip(campaignID: campaign, at: now, counts: counts)
            try await store.recordGuardTrip(trip)
            trips[campaign] = trip
            summary.guardsTripped.append(campaign)
            logger.warning(
                "complaint guard tripped", metadata: ["campaign": "\(campaign)", "reason": "\(trip.reason)"])
        }
        return trips
    }

    /// How a goal event ends a drip: one wording wherever the conversion is noticed.
    static func conversion(by event: String, at time: Date) -> EnrollmentChange.Outcome {
        .end(.converted, reason: "goal event '\(event)'", at: time)
    }

    /// A batch claimed in the store and composed, ready to hand over.
    struct Batch {
        var items: [ReadyMessage]
        var limited: Bool
    }

    /// The producer (this task) picks, decides, claims and composes batches while one
    /// lane per connection hands messages over and records their outcomes, so the
    /// connections never wait for the store or for rendering.
    private func run(
        now: Date, limit: Int?, progress: @Sendable (Int, Int) -> Void, shouldStop: @escaping @Sendable () -> Bool
    ) async throws -> TickSummary {
        var summary = TickSummary()
        summary.recovered = try await recoverInterruptedSends(now: now, summary: &summary)
        // Before enrolment: a campaign that enrols on a stage's event takes the lead in now.
        summary.staged = try await StageKeeper(
            store: store, rules: stageRules, scoreRules: scoreRules, catalog: catalog
        ).run(now: now).count
        for campaign in catalog.campaigns {
            _ = try await store.refreshIfChanged(
                campaignID: campaign.id, fingerprint: campaign.schedulingFingerprint, now: now)
            // What the next `validate` and `run` compare an edit with (RenameCheck).
            try await store.recordKnownSteps(
                campaignID: campaign.id,
                templates: Dictionary(
                    campaign.steps.map { ($0.id, $0.template) }, uniquingKeysWith: { first, _ in first }))
            summary.enrolled += try await store.enroll(
                campaignID: campaign.id, rule: campaign.enrollment(stages: stageRules), now: now)
        }
        summary.converted += try await convertReachedGoals(now: now)
        let guards = try await checkComplaintGuard(now: now, summary: &summary)
        let (winners, decided) = try await VariantJudge(store: store, catalog: catalog).run(now: now)
        summary.winners = decided.map { "\($0.campaignID)/\($0.step): \($0.variant)" }
        let needs = VariableNeeds(catalog: catalog)
        let total = try await store.countDue(now: now, campaigns: catalog.campaigns.map(\.id))
        let width = max(1, transport.maxConcurrentDeliveries)
        let queue = HandOverQueue<ReadyMessage>(capacity: batchSize, lanes: width)
        let stop = TickStop()
        let laneSummaries = await withTaskGroup(of: TickSummary.self) { group in
            for _ in 0..<width {
                group.addTask { await runLane(queue, now: now, stop: stop, shouldStop: shouldStop) }
            }
            await produce(
                into: queue, now: now, limit: limit, winners: winners, needs: needs, guards: guards, total: total,
                stop: stop,
                progress: progress, shouldStop: shouldStop, summary: &summary)
            var summaries: [TickSummary] = []
            for await lane in group { summaries.append(lane) }
            return summaries
        }
        for lane in laneSummaries { summary.absorbDeliveries(of: lane) }
        let left = await queue.leftOver()
        if !left.isEmpty {
            // Claimed but never handed over (the tick stopped): released, due again.
            do {
                try await store.record(left.map(\.released), now: now)
            } catch {
                stop.fail(error)
            }
        }
        await transport.finish()
        if let error = stop.error { throw error }
        progress(stop.handed, max(total, stop.handed))
        return summary
    }

    /// Fills the queue batch by batch until nothing more is due, the limit is reached or
    /// the tick stops; then closes it.
    private func produce(
        into queue: HandOverQueue<ReadyMessage>, now: Date, limit: Int?, winners: VariantWinners, needs: VariableNeeds,
        guards: [String: ComplaintGuard.Trip], total: Int, stop: TickStop,
        progress: @Sendable (Int, Int) -> Void, shouldStop: @Sendable () -> Bool, summary: inout TickSummary
    ) async {
        var claimed = 0
        var putSinceLastLook = false
        while !stop.isStopped && !shouldStop() {
            let batch: Batch?
            do {
                batch = try await prepareBatch(
                    now: now, allowance: limit.map { max(0, $0 - claimed) }, winners: winners, needs: needs,
                    guards: guards,
                    summary: &summary)
            } catch {
                stop.fail(error)
                break
            }
            guard let batch else {
                // What the lanes recorded may have made more due now (a 0m next step, a
                // bounce to settle): once they are idle, look once more before stopping.
                guard putSinceLastLook else { break }
                await queue.waitUntilIdle()
                putSinceLastLook = false
                continue
            }
            claimed += batch.items.count
            if batch.limited { summary.limitReached = true }
            if !batch.items.isEmpty {
                putSinceLastLook = true
                await queue.put(batch.items)
            }
            progress(stop.handed, max(total, stop.handed))
            if batch.limited { break }
        }
        await queue.close()
    }

    /// Picks due enrolments, decides, claims and composes; nil when nothing more is due.
    private func prepareBatch(
        now: Date, allowance: Int?, winners: VariantWinners, needs: VariableNeeds,
        guards: [String: ComplaintGuard.Trip], summary: inout TickSummary
    ) async throws -> Batch? {
        let readsScores = conditionsReadScores
        let readsStages = conditionsReadStages
        while true {
            var due = try await store.dueEnrollments(now: now, campaigns: catalog.campaigns.map(\.id), limit: batchSize)
            if due.isEmpty { return nil }
            if readsScores { try await fillScores(&due, now: now) }
            if readsStages { try await fillStages(&due) }
            let suppressed = try await store.suppressionEntries(for: due.map { $0.lead.email.address.lowercased() })
            let decisions = decide(
                due, now: now, allowance: allowance, winners: winners, needs: needs, suppressed: suppressed,
                guards: guards, summary: &summary)
            let claims = try await store.apply(decisions.changes, now: now)
            let composer = MessageComposer(
                dateHeader: MailDate.format(now), unsubscribeMailbox: unsubscribeMailbox, dkim: dkim)
            let items = claims.compactMap { claim in
                decisions.work[claim.enrollmentID].map {
                    ReadyMessage(
                        claim: claim, work: $0, message: compose(claim, work: $0, now: now, composer: composer))
                }
            }
            // A batch of waits, skips and endings claims nothing: look for the next one.
            if !items.isEmpty || decisions.limited { return Batch(items: items, limited: decisions.limited) }
        }
    }
}
