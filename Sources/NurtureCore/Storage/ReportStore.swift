/// The store side of reports: counts, gathered in one consistent read.
public protocol ReportStore: Sendable {
    func reportTally(campaignID: String) async throws -> CampaignTally

    /// Clicks on each link of each step of a campaign (never the hidden decoy).
    func linkTallies(campaignID: String) async throws -> [LinkTally]

    /// Leads by where they came from (first touch), with how many reached each stage.
    func leadsBySource() async throws -> [SourceTally]
}

/// The leads of one source (nil: captured without one).
public struct SourceTally: Sendable, Hashable {
    public var source: LeadSource?
    public var leads: Int
    /// Leads of this source that reached each stage.
    public var stages: [String: Int]

    public init(source: LeadSource?, leads: Int, stages: [String: Int] = [:]) {
        self.source = source
        self.leads = leads
        self.stages = stages
    }
}

extension ReportStore {
    /// The report of one campaign; `stepOrder` lists the file's steps first, in order
    /// (steps no longer in the file follow).
    public func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport {
        CampaignReport(tally: try await reportTally(campaignID: campaignID), campaignID: campaignID, stepOrder: stepOrder)
    }
}
