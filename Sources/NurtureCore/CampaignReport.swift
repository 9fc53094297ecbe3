/// Per campaign and step: what was sent and what came of it (`nurture report`).
///
/// Opens and clicks are not tracked yet, so the report has no open or click columns.
public struct CampaignReport: Sendable, Hashable {
    public struct StepRow: Sendable, Hashable {
        public var step: String
        public var sent = 0
        public var failed = 0
        /// Failed because the recipient was refused (the lead is bounced).
        public var bounced = 0
        public var skipped = 0
        public var deferred = 0
        public var unknown = 0

        public init(step: String) { self.step = step }
    }

    public var campaignID: String
    public var enrolled = 0
    public var active = 0
    public var completed = 0
    public var exited = 0
    /// Left by a goal event (`exit_on`).
    public var converted = 0
    /// Leads of this campaign who unsubscribed while in it.
    public var unsubscribed = 0
    public var steps: [StepRow] = []

    public init(campaignID: String) { self.campaignID = campaignID }

    /// Conversions per enrolled lead.
    public var conversionRate: Double { enrolled == 0 ? 0 : Double(converted) / Double(enrolled) }
}

/// The store side of reports.
public protocol ReportStore: Sendable {
    /// Counts for one campaign; `stepOrder` lists the file's steps first, in order
    /// (steps no longer in the file follow).
    func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport
}
