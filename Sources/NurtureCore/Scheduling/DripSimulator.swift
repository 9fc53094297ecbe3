import Foundation

/// Plays a drip forward for one lead without sending anything: when each step would go,
/// honouring waits, windows and the lead's zone.
public struct DripSimulator: Sendable {
    public enum Entry: Sendable, Hashable {
        case send(step: String, at: Date)
        case skip(step: String, reason: String)
        case exit(step: String, at: Date)
        case blocked(step: String)
        case suppressed(LeadStatus)
        case complete
    }

    public let planner: DripPlanner
    /// Points an assumed open and click earn, so `score_at_least` steps go as they would.
    public var scoreRules: ScoreRules

    public init(planner: DripPlanner, scoreRules: ScoreRules = ScoreRules()) {
        self.planner = planner
        self.scoreRules = scoreRules
    }

    /// The timeline from `now`. With `engaged`, the lead is taken to open and click every
    /// message (so `opened`/`clicked` conditions hold); without, never. `history` is what
    /// the lead did before `now` that may score (`LeadTimeline.scoreEvidence`).
    public func timeline(
        campaign: Campaign, lead: Lead, snapshot: EnrollmentSnapshot, now: Date, engaged: Bool,
        history: [ScoreEvidence] = []
    ) -> [Entry] {
        var snapshot = snapshot
        var lead = lead
        var time = now
        var entries: [Entry] = []
        var evidence = history
        // Each round settles at least one step, so this bound is never the reason to stop.
        for _ in 0...(campaign.steps.count * 2 + 1) {
            lead.score = scoreRules.score(of: lead, evidence: evidence, at: time)
            let plan = planner.plan(campaign: campaign, lead: lead, snapshot: snapshot, now: time)
            for skip in plan.skipped {
                entries.append(.skip(step: skip.step, reason: skip.reason))
                snapshot.steps[skip.step] = .skipped
            }
            switch plan.action {
            case .wait(let until, _):
                time = until
            case .send(let step), .retry(let step):
                entries.append(.send(step: step.id, at: time))
                snapshot.steps[step.id] = .sent
                snapshot.lastSentAt = time
                if engaged {
                    snapshot.opened.insert(step.id)
                    snapshot.clicked.insert(step.id)
                    // The first human open and click of each message score, as in the send
                    // loop, taken at the time they are assumed to happen (the send).
                    evidence += [
                        .init(.open(campaign: campaign.id, step: step.id), at: time),
                        .init(.click(campaign: campaign.id, step: step.id), at: time),
                    ]
                }
            case .exit(let step):
                entries.append(.exit(step: step, at: time))
                return entries
            case .blocked(let step):
                entries.append(.blocked(step: step))
                return entries
            case .suppressed(let status):
                entries.append(.suppressed(status))
                return entries
            case .complete:
                entries.append(.complete)
                return entries
            }
        }
        return entries
    }
}
