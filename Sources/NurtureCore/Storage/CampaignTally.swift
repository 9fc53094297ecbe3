import Foundation

/// What a store counts for one campaign's report: plain groups of rows, no decisions.
/// Which group goes in which column, and which step a conversion is credited to, is
/// decided by `CampaignReport(tally:stepOrder:)`, the same for every store.
public struct CampaignTally: Sendable, Hashable {
    /// Enrolments by their state and their lead's status.
    public struct Enrollments: Sendable, Hashable {
        public var state: String
        public var leadStatus: String
        public var count: Int

        public init(state: String, leadStatus: String, count: Int) {
            self.state = state
            self.leadStatus = leadStatus
            self.count = count
        }
    }

    /// Messages by step, state, and whether their lead is bounced.
    public struct Messages: Sendable, Hashable {
        public var step: String
        public var state: String
        public var leadBounced: Bool
        public var count: Int

        public init(step: String, state: String, leadBounced: Bool, count: Int) {
            self.step = step
            self.state = state
            self.leadBounced = leadBounced
            self.count = count
        }
    }

    /// Tracking requests by step, kind and class: how many, and of how many messages.
    public struct Activity: Sendable, Hashable {
        public var step: String
        public var kind: String
        public var activityClass: String
        public var requests: Int
        public var messages: Int

        public init(step: String, kind: String, activityClass: String, requests: Int, messages: Int) {
            self.step = step
            self.kind = kind
            self.activityClass = activityClass
            self.requests = requests
            self.messages = messages
        }
    }

    /// A message sent to an enrolment that converted.
    public struct ConvertedSend: Sendable, Hashable {
        public var enrollmentID: Int64
        public var step: String
        public var sentAt: Date
        public var messageRow: Int64

        public init(enrollmentID: Int64, step: String, sentAt: Date, messageRow: Int64) {
            self.enrollmentID = enrollmentID
            self.step = step
            self.sentAt = sentAt
            self.messageRow = messageRow
        }
    }

    public var enrollments: [Enrollments] = []
    public var messages: [Messages] = []
    public var activity: [Activity] = []
    /// Leads who unsubscribed through a step's link, by step.
    public var unsubscribedByStep: [String: Int] = [:]
    /// Leads with an event from received mail about a step's message (`bounced`,
    /// `complained`, `replied`), by step and event; soft bounces by step.
    public var inboundEventsByStep: [String: [String: Int]] = [:]
    public var softBouncesByStep: [String: Int] = [:]
    /// Leads whose drip in this campaign was live when they unsubscribed some other way
    /// (another campaign's link, `nurture unsubscribe`, the mailbox): not through a link
    /// of this campaign's mail.
    public var unsubscribedElsewhere = 0
    /// Active enrolments whose next step is held, by step and reason (`held_reason`).
    public var held: [CampaignReport.Held] = []
    public var convertedSends: [ConvertedSend] = []

    public init() {}
}
