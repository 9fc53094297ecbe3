import Foundation

/// What `nurture status` reports.
public struct SendStatus: Sendable, Hashable {
    public struct Pending: Sendable, Hashable {
        public var campaignID: String
        public var step: String?
        public var email: String
        public var at: Date
        /// Why it waits (the last delivery error of a deferred message).
        public var reason: String?

        public init(campaignID: String, step: String? = nil, email: String, at: Date, reason: String? = nil) {
            self.reason = reason
            self.campaignID = campaignID
            self.step = step
            self.email = email
            self.at = at
        }
    }

    public struct Doubt: Sendable, Hashable {
        public var campaignID: String
        public var step: String
        public var email: String
        public var messageID: String
        public var since: Date
        public var error: String?

        public init(
            campaignID: String, step: String, email: String, messageID: String, since: Date, error: String? = nil
        ) {
            self.campaignID = campaignID
            self.step = step
            self.email = email
            self.messageID = messageID
            self.since = since
            self.error = error
        }
    }

    public var activeEnrollments = 0
    public var dueNow = 0
    /// The first of the enrolments counted in `dueNow`, earliest first.
    public var dueNowList: [Pending] = []
    /// The next few enrolments due after now, earliest first.
    public var nextDue: [Pending] = []
    public var deferred: [Pending] = []
    /// Enrolments whose next step is held (a variable the lead lacks), with why.
    public var held: [Pending] = []
    public var heldCount = 0
    public var unknown: [Doubt] = []
    /// When the last tick that stopped (or delivered nothing) did, and why; nil once a
    /// tick delivers again.
    public var lastStop: Stop?

    public struct Stop: Sendable, Hashable {
        public var at: Date
        public var reason: String

        public init(at: Date, reason: String) {
            self.at = at
            self.reason = reason
        }
    }
    /// Messages a running (or dead) tick holds in state `sending`.
    public var inFlight = 0

    public init() {}
}

extension SendStatus.Stop {
    /// As the stores keep it, in their settings: JSON.
    public var storedText: String {
        JSONText.object(["at": String(at.epochSeconds), "reason": reason])
    }

    public init?(storedText: String) {
        let fields = JSONText.textValues(ofObject: storedText)
        guard let at = fields["at"].flatMap(Int64.init), let reason = fields["reason"] else { return nil }
        self.init(at: Date(epochSeconds: at), reason: reason)
    }
}
