import Foundation

/// Per campaign and step: what was sent and what came of it (`nurture report`, `/report`).
///
/// "Unique" opens and clicks count messages a person opened or clicked at least once;
/// machine counts are every request classified machine or unknown (no user agent).
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
        /// Messages of this step a person opened / clicked (at least once).
        public var uniqueOpens = 0
        public var uniqueClicks = 0
        /// Every human open / click request, repeats included.
        public var totalOpens = 0
        public var totalClicks = 0
        /// Open / click requests by machines (or without a user agent).
        public var machineOpens = 0
        public var machineClicks = 0
        /// Leads who unsubscribed through this step's link.
        public var unsubscribed = 0
        /// What came back about this step's messages later (`nurture inbound`): leads whose
        /// address a report said does not exist, soft bounces, complaints, replies.
        public var hardBounces = 0
        public var softBounces = 0
        public var complaints = 0
        public var replies = 0
        /// Enrolments that converted (goal event) with this as the last step sent.
        public var converted = 0

        public init(step: String) { self.step = step }

        public var openRate: Double { sent == 0 ? 0 : Double(uniqueOpens) / Double(sent) }
        public var clickRate: Double { sent == 0 ? 0 : Double(uniqueClicks) / Double(sent) }
        public var conversionRate: Double { sent == 0 ? 0 : Double(converted) / Double(sent) }
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
    /// Leads whose next step is held (a variable they lack), by step and reason.
    public var held: [Held] = []

    public struct Held: Sendable, Hashable {
        public var step: String
        public var reason: String
        public var leads: Int

        public init(step: String, reason: String, leads: Int) {
            self.step = step
            self.reason = reason
            self.leads = leads
        }
    }

    public init(campaignID: String) { self.campaignID = campaignID }

    /// Conversions per enrolled lead.
    public var conversionRate: Double { enrolled == 0 ? 0 : Double(converted) / Double(enrolled) }

    /// The campaign's line, for the table and the report page: "4 enrolled, … 1 unsubscribed".
    public var summary: String {
        let heldLeads = held.reduce(0) { $0 + $1.leads }
        return "\(enrolled) enrolled, \(active) active, \(completed) completed, \(exited) exited, "
            + "\(converted) converted (\(Self.percent(conversionRate))), \(unsubscribed) unsubscribed"
            + (heldLeads > 0 ? ", \(heldLeads) held" : "")
    }

    /// One line per step and reason with held leads: "tips: 3 held (held: the lead has
    /// no 'company' …)".
    public var heldLines: [String] {
        held.map { "\($0.step): \($0.leads) held (\($0.reason))" }
    }

    /// A rate as people read it: "33.3%".
    public static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    /// The same, or `-` when there is nothing to divide by.
    public static func percent(_ rate: Double?) -> String { rate.map(percent) ?? "-" }
}

extension CampaignReport {
    /// The report with each renamed step's rows (stored under its former id) counted
    /// under its current id, so a rename keeps the step's history in one row.
    public func followingRenames(in campaign: Campaign) -> CampaignReport {
        var report = self
        for step in campaign.steps {
            guard let old = step.renamedFrom, let from = report.steps.firstIndex(where: { $0.step == old }) else {
                continue
            }
            let former = report.steps.remove(at: from)
            if let into = report.steps.firstIndex(where: { $0.step == step.id }) {
                report.steps[into].absorb(former)
            } else {
                var row = former
                row.step = step.id
                report.steps.append(row)
            }
        }
        return report
    }
}

extension CampaignReport.StepRow {
    /// Adds another row's counts to this one.
    mutating func absorb(_ other: CampaignReport.StepRow) {
        sent += other.sent
        failed += other.failed
        bounced += other.bounced
        skipped += other.skipped
        deferred += other.deferred
        unknown += other.unknown
        uniqueOpens += other.uniqueOpens
        uniqueClicks += other.uniqueClicks
        totalOpens += other.totalOpens
        totalClicks += other.totalClicks
        machineOpens += other.machineOpens
        machineClicks += other.machineClicks
        unsubscribed += other.unsubscribed
        converted += other.converted
    }
}
