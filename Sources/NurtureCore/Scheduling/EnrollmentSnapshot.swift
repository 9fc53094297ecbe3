import Foundation

/// Where a message for one (enrolment, step) stands. The life of a message, after
/// Postfix's queues: claimed → sending → sent | deferred | failed | unknown.
public enum MessageState: String, Sendable, Hashable, CaseIterable {
    /// Picked by a tick, not yet handed to the transport.
    case claimed
    /// Handed (or about to be handed) to the transport; a crash here leaves the outcome unknown.
    case sending
    case sent
    /// A transient failure: retried on a later tick.
    case deferred
    /// A permanent failure: not retried.
    case failed
    /// The process died while sending: it may or may not have gone out. Never resent
    /// unless the user says so (`nurture retry-unknown`).
    case unknown
    /// The step's condition was false: nothing was sent, and it will not be.
    case skipped

    /// States after which the step is behind the lead for good.
    public var isFinal: Bool { self == .sent || self == .failed || self == .skipped }
}

/// What the planner needs to know about one enrolment: when it started, what each step
/// came to, and how the lead engaged.
public struct EnrollmentSnapshot: Sendable, Hashable {
    public var id: Int64
    public var campaignID: String
    public var enrolledAt: Date
    /// When the last message of this drip was sent; the next `wait` counts from here.
    public var lastSentAt: Date?
    /// The state of each step that has a message row, by step id.
    public var steps: [String: MessageState]
    /// When a deferred message may be tried again, by step id.
    public var retryAt: [String: Date]
    /// Steps the lead opened or clicked (human activity only).
    public var opened: Set<String>
    public var clicked: Set<String>

    public init(
        id: Int64, campaignID: String, enrolledAt: Date, lastSentAt: Date? = nil, steps: [String: MessageState] = [:],
        retryAt: [String: Date] = [:], opened: Set<String> = [], clicked: Set<String> = []
    ) {
        self.id = id
        self.campaignID = campaignID
        self.enrolledAt = enrolledAt
        self.lastSentAt = lastSentAt
        self.steps = steps
        self.retryAt = retryAt
        self.opened = opened
        self.clicked = clicked
    }
}
