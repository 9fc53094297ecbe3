import Foundation

extension Step {
    /// For previews: whether the step's condition holds for the lead and why, from its
    /// history in the campaign (`timeline`; none for a sample lead), and what follows when
    /// it does not, with the lead scored at `time`. Nil for a step without a condition.
    public func explainCondition(
        for lead: Lead, timeline: LeadTimeline?, in campaign: Campaign, scoreRules: ScoreRules, at time: Date
    ) -> (holds: Bool, text: String)? {
        guard let condition else { return nil }
        var lead = lead
        lead.score = scoreRules.score(of: lead, evidence: timeline?.scoreEvidence ?? [], at: time)
        // A sample lead has no history; conditions never read the enrolment time.
        let snapshot =
            timeline?.snapshot(campaignID: campaign.id)
            ?? EnrollmentSnapshot(id: 0, campaignID: campaign.id, enrolledAt: Date(timeIntervalSince1970: 0))
        let (holds, why) = ConditionEvaluator(lead: lead, snapshot: snapshot.followingRenames(in: campaign)).explain(
            condition)
        let otherwise =
            self.otherwise == .exit ? "the lead would leave the drip (else: exit)" : "the step would be skipped"
        return (holds, holds ? why : "\(why); \(otherwise)")
    }

    /// The custom attribute a `wait_until` step reads its date from.
    public var dateAttribute: String? {
        if case .waitUntil(let attribute, _) = timing { return attribute }
        return nil
    }
}
