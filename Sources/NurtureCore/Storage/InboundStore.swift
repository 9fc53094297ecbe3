import Foundation

/// What came back after sending (issue 37.3): which received messages were handled, and
/// the soft bounces each lead has had.
public protocol InboundStore: Sendable {
    /// Whether the received message `messageID` was handled already.
    func inboundHandled(messageID: String) async throws -> Bool

    /// Records `messageID` as handled and, in the same transaction, the lead statuses it
    /// decided (`statuses`: a hard bounce, a complaint; each lead whose status changes
    /// gets the event of that name, `bounced` or `complained`, with the reason and the
    /// message's campaign and step, so it is in the lead's story, in the report's step and
    /// heard by webhooks) and a soft bounce for each of `softBounces` (their status is
    /// not used: the reason is the server's words). Returns, per address, how
    /// many soft bounces the lead has had since `since`, this one included; nil when the
    /// message was handled before (then nothing is recorded or changed).
    func recordInbound(
        messageID: String, kind: String, statuses: [InboundStatusChange], softBounces: [InboundStatusChange],
        since: Date, now: Date
    ) async throws -> [EmailAddress: Int]?

    /// Changes leads' statuses for what came back (enough soft bounces): as in
    /// `recordInbound`, a lead whose status changes gets the event that says so.
    func applyInboundStatuses(_ changes: [InboundStatusChange], now: Date) async throws

    /// The message in row `row` (a VERP return path names the row): whom it went to, in
    /// which campaign and step; nil when there is no such message. (A Message-ID of ours
    /// names its enrolment and step: `LeadStore.lead(enrollmentID:)`.)
    func origin(ofMessageRow row: Int64) async throws -> MessageOrigin?

    /// Whether any message was ever sent to the lead with this address.
    func wasMailed(_ email: EmailAddress) async throws -> Bool
}

/// A lead's new status, decided from what came back, why (the server's words), and the
/// message of ours it is about, when known.
public struct InboundStatusChange: Sendable, Hashable {
    public var email: EmailAddress
    public var status: LeadStatus
    public var reason: String
    public var campaignID: String?
    public var step: String?

    public init(email: EmailAddress, status: LeadStatus, reason: String, about origin: MessageOrigin? = nil) {
        self.email = email
        self.status = status
        self.reason = reason
        campaignID = origin?.campaignID
        step = origin?.step
    }

    /// The event's attributes: the reason, and the campaign and step when known.
    public var attributes: [String: String] {
        var attributes = ["reason": reason]
        if let campaignID { attributes["campaign"] = campaignID }
        if let step { attributes["step"] = step }
        return attributes
    }
}

/// Where a message of ours went: the lead, the campaign and the step.
public struct MessageOrigin: Sendable, Hashable {
    public var email: EmailAddress
    public var campaignID: String
    public var step: String

    public init(email: EmailAddress, campaignID: String, step: String) {
        self.email = email
        self.campaignID = campaignID
        self.step = step
    }
}
