import Foundation

/// The complaint guard (issue 37.5): when a campaign's complaints over the last `window`
/// pass `rate` of what it sent in that time (Gmail's line is 0.3%), its steps stop until
/// someone has looked (`nurture guard reset`). A campaign that sent fewer than
/// `minimumSent` in the window cannot trip it: two complaints among a hundred say
/// little.
public struct ComplaintGuard: Sendable, Hashable {
    public var rate: Double
    public var window: TimeInterval
    public var minimumSent: Int

    public init(rate: Double = 0.003, window: TimeInterval = 7 * 86_400, minimumSent: Int = 1_000) {
        self.rate = rate
        self.window = window
        self.minimumSent = minimumSent
    }

    /// What a campaign sent and had complained about in the window (since its last reset,
    /// when that is later).
    public struct Counts: Sendable, Hashable {
        public var complaints: Int
        public var sent: Int

        public init(complaints: Int, sent: Int) {
            self.complaints = complaints
            self.sent = sent
        }

        public var rate: Double { sent == 0 ? 0 : Double(complaints) / Double(sent) }
    }

    /// A tripped guard: when, and the counts that tripped it.
    public struct Trip: Sendable, Hashable {
        public var campaignID: String
        public var at: Date
        public var counts: Counts

        public init(campaignID: String, at: Date, counts: Counts) {
            self.campaignID = campaignID
            self.at = at
            self.counts = counts
        }

        /// Why a held step waits, in `status`, `leads show` and `report`.
        public var reason: String {
            "the complaint guard tripped: \(counts.complaints) complaints in \(counts.sent) sent"
                + " (\(CampaignReport.percent(counts.rate))); nurture guard reset \(campaignID) after you have looked"
        }
    }

    /// Whether `counts` trip the guard.
    public func trips(_ counts: Counts) -> Bool {
        counts.sent >= minimumSent && counts.rate > rate
    }
}
