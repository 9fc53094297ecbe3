/// The store side of reports: counts, gathered in one consistent read.
public protocol ReportStore: Sendable {
    func reportTally(campaignID: String) async throws -> CampaignTally

    /// Clicks on each link of each step of a campaign (never the hidden decoy).
    func linkTallies(campaignID: String) async throws -> [LinkTally]

    /// Every message of a campaign that was sent, with what became of it.
    func sentMessages(campaignID: String) async throws -> [SentMessage]

    /// Which of these leads converted (a drip ended by a goal event).
    func convertedLeads(among ids: [Int64]) async throws -> Set<Int64>
}

extension ReportStore {
    /// The report of one campaign; `stepOrder` lists the file's steps first, in order
    /// (steps no longer in the file follow).
    public func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport {
        CampaignReport(
            tally: try await reportTally(campaignID: campaignID), campaignID: campaignID, stepOrder: stepOrder)
    }
}
