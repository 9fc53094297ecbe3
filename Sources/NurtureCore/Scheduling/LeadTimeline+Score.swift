import Foundation

extension LeadTimeline {
    /// What in the lead's history may score: the human opens and clicks of its messages
    /// (a click later unmasked as a scanner's is stored as machine, so it is not here)
    /// and its events.
    public var scoreEvidence: [ScoreEvidence] {
        activity.filter { $0.activityClass == "human" && !$0.decoy }.map { item in
            ScoreEvidence(
                item.kind == .open
                    ? .open(campaign: item.campaignID, step: item.step)
                    : .click(campaign: item.campaignID, step: item.step), at: item.at)
        } + events.map { ScoreEvidence(.event($0.name), at: $0.at) }
    }

    /// Where the lead's engagement points came from, under `rules`.
    public func scoreChanges(rules: ScoreRules) -> [ScoreChange] { rules.changes(from: scoreEvidence) }

    /// The lead's score at `time` under `rules`.
    public func score(rules: ScoreRules, at time: Date) -> LeadScore {
        rules.score(of: lead, evidence: scoreEvidence, at: time)
    }
}
