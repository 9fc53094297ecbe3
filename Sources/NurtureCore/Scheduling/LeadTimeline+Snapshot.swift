extension LeadTimeline {
    /// What the lead has been through in one campaign, as the planner sees it: message
    /// states by step, and the steps a person opened or clicked. For previews, which
    /// explain a step's condition for a real lead.
    public func snapshot(campaignID: String) -> EnrollmentSnapshot? {
        guard let enrollment = enrollments.last(where: { $0.campaignID == campaignID }) else { return nil }
        var snapshot = EnrollmentSnapshot(id: 0, campaignID: campaignID, enrolledAt: enrollment.enrolledAt)
        for message in messages where message.campaignID == campaignID { snapshot.steps[message.step] = message.state }
        for item in activity where item.campaignID == campaignID && item.activityClass == "human" && !item.decoy {
            if item.kind == .open { snapshot.opened.insert(item.step) } else { snapshot.clicked.insert(item.step) }
        }
        return snapshot
    }
}
