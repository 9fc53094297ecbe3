/// The store side of reports: counts, gathered in one consistent read.
public protocol ReportStore: Sendable {
    func reportTally(campaignID: String) async throws -> CampaignTally
}

extension ReportStore {
    /// The report of one campaign; `stepOrder` lists the file's steps first, in order
    /// (steps no longer in the file follow).
    public func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport {
        CampaignReport(tally: try await reportTally(campaignID: campaignID), campaignID: campaignID, stepOrder: stepOrder)
    }
}
