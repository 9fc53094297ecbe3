import Foundation

/// `leads show`'s history of a lead.
public struct LeadTimeline: Sendable, Hashable {
    public struct Enrollment: Sendable, Hashable {
        public var campaignID: String
        public var state: String
        public var enrolledAt: Date
        public var nextDueAt: Date?
        public var nextStep: String?
        public var endedAt: Date?
        public var endReason: String?
        /// Why its next step waits (`held: the lead has no 'company' …`), if held.
        public var heldReason: String?

        public init(
            campaignID: String, state: String, enrolledAt: Date, nextDueAt: Date? = nil, nextStep: String? = nil,
            endedAt: Date? = nil, endReason: String? = nil
        ) {
            self.campaignID = campaignID
            self.state = state
            self.enrolledAt = enrolledAt
            self.nextDueAt = nextDueAt
            self.nextStep = nextStep
            self.endedAt = endedAt
            self.endReason = endReason
        }
    }

    public struct Message: Sendable, Hashable {
        public var campaignID: String
        public var step: String
        public var state: MessageState
        public var at: Date
        public var detail: String?
        /// Its A/B variant (nil: the step has none).
        public var variant: String?

        public init(
            campaignID: String, step: String, state: MessageState, at: Date, detail: String? = nil,
            variant: String? = nil
        ) {
            self.variant = variant
            self.campaignID = campaignID
            self.step = step
            self.state = state
            self.at = at
            self.detail = detail
        }
    }

    public struct Event: Sendable, Hashable {
        public var name: String
        public var at: Date
        public var attributes: [String: String]

        public init(name: String, at: Date, attributes: [String: String] = [:]) {
            self.name = name
            self.at = at
            self.attributes = attributes
        }
    }

    /// An open or a click of one of the lead's messages, as recorded: with the link, and
    /// whether a person or a machine made it and why.
    public struct Activity: Sendable, Hashable {
        public var campaignID: String
        public var step: String
        public var kind: ActivityKind
        public var url: String?
        public var decoy: Bool
        public var activityClass: String
        public var reason: String
        public var at: Date

        public init(
            campaignID: String, step: String, kind: ActivityKind, url: String?, decoy: Bool, activityClass: String,
            reason: String, at: Date
        ) {
            self.campaignID = campaignID
            self.step = step
            self.kind = kind
            self.url = url
            self.decoy = decoy
            self.activityClass = activityClass
            self.reason = reason
            self.at = at
        }
    }

    public var lead: Lead
    public var enrollments: [Enrollment] = []
    public var messages: [Message] = []
    public var events: [Event] = []
    public var activity: [Activity] = []

    public init(lead: Lead) { self.lead = lead }
}
