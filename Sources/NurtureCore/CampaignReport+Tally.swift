import Foundation

extension CampaignReport {
    /// The report's rules, applied to what a store counted: which state counts where,
    /// which requests are a person's, and that a conversion is credited to the last step
    /// sent before it (a converted drip sends nothing more, so that is its last sent step).
    public init(tally: CampaignTally, campaignID: String, stepOrder: [String]) {
        self.init(campaignID: campaignID)
        for group in tally.enrollments {
            enrolled += group.count
            switch group.state {
            case "active": active += group.count
            case "completed": completed += group.count
            case "exited": exited += group.count
            case "converted": converted += group.count
            default: break
            }
        }
        var rows: [String: StepRow] = [:]
        for group in tally.messages {
            guard let state = MessageState(rawValue: group.state) else { continue }
            rows[group.step, default: StepRow(step: group.step)].count(
                state, leadBounced: group.leadBounced, times: group.count)
        }
        for group in tally.activity {
            guard let kind = ActivityKind(rawValue: group.kind) else { continue }
            rows[group.step, default: StepRow(step: group.step)].count(
                kind, human: group.activityClass == ActivityClass.human.rawValue, requests: group.requests,
                messages: group.messages)
        }
        for (step, leads) in tally.unsubscribedByStep {
            rows[step, default: StepRow(step: step)].unsubscribed += leads
        }
        for (step, events) in tally.inboundEventsByStep {
            rows[step, default: StepRow(step: step)].hardBounces += events["bounced"] ?? 0
            rows[step, default: StepRow(step: step)].complaints += events["complained"] ?? 0
            rows[step, default: StepRow(step: step)].replies += events["replied"] ?? 0
        }
        for (step, bounces) in tally.softBouncesByStep {
            rows[step, default: StepRow(step: step)].softBounces += bounces
        }
        for send in ConversionCredit.credited(
            tally.convertedSends, enrollment: \.enrollmentID, sentAt: \.sentAt, row: \.messageRow)
        {
            rows[send.step, default: StepRow(step: send.step)].converted += 1
        }
        let rest = rows.keys.filter { !stepOrder.contains($0) }.sorted()
        steps = (stepOrder + rest).map { rows[$0] ?? StepRow(step: $0) }
        // One definition of each total (issue 36.8): the campaign's unsubscribed and
        // converted are the sums of its rows, so what no step earned has a row of its
        // own: conversions before any mail was sent, unsubscribes not through a link of
        // this campaign's mail while its drip was live.
        var unattributed = StepRow(step: Self.noStep)
        unattributed.converted = converted - steps.reduce(0) { $0 + $1.converted }
        unattributed.unsubscribed = tally.unsubscribedElsewhere
        if unattributed.converted > 0 || unattributed.unsubscribed > 0 { steps.append(unattributed) }
        unsubscribed = steps.reduce(0) { $0 + $1.unsubscribed }
        held = tally.held.sorted { ($0.step, $0.reason) < ($1.step, $1.reason) }
    }

    /// The row of what no step earned; step ids cannot hold parentheses.
    public static let noStep = "(no step)"
}

extension CampaignReport.StepRow {
    /// Messages in `state`: sent, failed (and bounced, when the lead is), skipped, still
    /// being worked on (claimed, sending, deferred: "deferred" in the report), unknown.
    mutating func count(_ state: MessageState, leadBounced: Bool, times: Int) {
        switch state {
        case .sent: sent += times
        case .failed:
            failed += times
            if leadBounced { bounced += times }
        case .skipped: skipped += times
        case .deferred, .claimed, .sending: deferred += times
        case .unknown: unknown += times
        }
    }

    /// Requests of a kind: a person's count as unique (per message) and total; a
    /// machine's (or one without a user agent) only as machine requests.
    mutating func count(_ kind: ActivityKind, human: Bool, requests: Int, messages: Int) {
        switch (kind, human) {
        case (.open, true):
            totalOpens += requests
            uniqueOpens += messages
        case (.click, true):
            totalClicks += requests
            uniqueClicks += messages
        case (.open, false): machineOpens += requests
        case (.click, false): machineClicks += requests
        }
    }
}
