import Foundation

/// What came back after sending (issue 37.3): which received messages were handled, and
/// the soft bounces each lead has had.
public protocol InboundStore: Sendable {
    /// Whether the received message `messageID` was handled already.
    func inboundHandled(messageID: String) async throws -> Bool

    /// Records `messageID` as handled and, in the same transaction, the lead statuses it
    /// decided (`statuses`: a hard bounce, a complaint; each lead whose status changes
    /// gets the event of that name, `bounced` or `complained`, with the reason, so it is in
    /// the lead's story and webhooks hear it) and a soft bounce for each of
    /// `softBounces` (a lead's address and the server's words). Returns, per address, how
    /// many soft bounces the lead has had since `since`, this one included; nil when the
    /// message was handled before (then nothing is recorded or changed).
    func recordInbound(
        messageID: String, kind: String, statuses: [InboundStatusChange],
        softBounces: [(email: EmailAddress, diagnostic: String)], since: Date, now: Date
    ) async throws -> [EmailAddress: Int]?

    /// Changes leads' statuses for what came back (enough soft bounces): as in
    /// `recordInbound`, a lead whose status changes gets the event that says so.
    func applyInboundStatuses(_ changes: [InboundStatusChange], now: Date) async throws

    /// The address the message in row `row` went to (a VERP return path names the row);
    /// nil when there is no such message. (A Message-ID of ours names its enrolment:
    /// `LeadStore.lead(enrollmentID:)`.)
    func recipient(ofMessageRow row: Int64) async throws -> EmailAddress?

    /// Whether any message was ever sent to the lead with this address.
    func wasMailed(_ email: EmailAddress) async throws -> Bool
}

/// A lead's new status, decided from what came back, and why (the server's words).
public struct InboundStatusChange: Sendable, Hashable {
    public var email: EmailAddress
    public var status: LeadStatus
    public var reason: String

    public init(email: EmailAddress, status: LeadStatus, reason: String) {
        self.email = email
        self.status = status
        self.reason = reason
    }
}
