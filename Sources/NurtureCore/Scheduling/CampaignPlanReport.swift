import Foundation

/// What the current campaign file means for the leads already in it: `nurture plan`.
public struct CampaignPlanReport: Sendable, Hashable {
    public struct NextStep: Sendable, Hashable {
        public var email: String
        public var action: DripAction
    }

    public var campaignID: String
    public var activeEnrollments = 0
    /// Steps leads got that are no longer in the file (removed or renamed), with how
    /// many leads got them. They are never sent again.
    public var goneSteps: [String: Int] = [:]
    /// Steps in the file that some leads are already past (added or moved before where
    /// they are), with how many: those leads will not get them.
    public var passedSteps: [String: Int] = [:]
    /// Each lead's next action at `now`.
    public var next: [NextStep] = []

    public init(campaign: Campaign, enrollments: [DueEnrollment], planner: DripPlanner, now: Date) {
        campaignID = campaign.id
        activeEnrollments = enrollments.count
        let ids = Set(campaign.steps.map(\.id) + campaign.steps.compactMap(\.renamedFrom))
        for enrollment in enrollments {
            let snapshot = enrollment.snapshot.followingRenames(in: campaign)
            for (step, state) in snapshot.steps where !ids.contains(step) && state == .sent {
                goneSteps[step, default: 0] += 1
            }
            let position = DripPlanner.nextStepIndex(in: campaign, snapshot: snapshot) ?? campaign.steps.count
            for step in campaign.steps[..<position] where snapshot.steps[step.id] == nil {
                passedSteps[step.id, default: 0] += 1
            }
            let plan = planner.plan(campaign: campaign, lead: enrollment.lead, snapshot: snapshot, now: now)
            next.append(NextStep(email: enrollment.lead.email.address, action: plan.action))
        }
    }
}
