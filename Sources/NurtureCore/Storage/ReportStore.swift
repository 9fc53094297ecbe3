/// The store side of reports.
public protocol ReportStore: Sendable {
    /// Counts for one campaign; `stepOrder` lists the file's steps first, in order
    /// (steps no longer in the file follow).
    func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport
}
