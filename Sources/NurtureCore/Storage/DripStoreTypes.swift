import Foundation

/// An enrolment that is due, with its lead.
public struct DueEnrollment: Sendable, Hashable {
    public var snapshot: EnrollmentSnapshot
    public var lead: Lead

    public init(snapshot: EnrollmentSnapshot, lead: Lead) {
        self.snapshot = snapshot
        self.lead = lead
    }
}

/// How a drip ended for a lead.
public enum EnrollmentEnd: String, Sendable, Hashable {
    /// Every step is behind the lead.
    case completed
    /// A condition with `else: exit` was false.
    case exited
    /// A goal event (`exit_on`) was recorded.
    case converted
    /// The lead unsubscribed, bounced or complained.
    case suppressed
}

/// What a tick decided for one enrolment, written in one transaction per batch.
public struct EnrollmentChange: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Claim the step for sending: a message row in state `claimed`, recording
        /// which A/B variant it is (nil: the step has none).
        case claim(step: String, messageID: String, variant: String? = nil)
        /// Send a deferred message again.
        case retry(step: String)
        /// Look again at `at` (nil: only when something changes, like a resolved unknown).
        case reschedule(at: Date?, step: String?)
        /// The step cannot go yet, for `reason` (a variable the lead lacks): look again at
        /// `at`, and say why meanwhile (status, leads show, report). Nothing is recorded
        /// for the step, so it goes as soon as it can.
        case hold(at: Date, step: String, reason: String)
        /// `at`: when it ended, if not now (a goal event recorded with its own time).
        case end(EnrollmentEnd, reason: String, at: Date? = nil)
    }

    public var enrollmentID: Int64
    public var skipped: [DripPlan.Skip]
    public var outcome: Outcome

    public init(enrollmentID: Int64, skipped: [DripPlan.Skip] = [], outcome: Outcome) {
        self.enrollmentID = enrollmentID
        self.skipped = skipped
        self.outcome = outcome
    }
}

/// A message row a tick holds in state `sending`.
public struct Claim: Sendable, Hashable {
    public var rowID: Int64
    public var enrollmentID: Int64
    public var step: String
    public var messageID: String
    public var attempts: Int
    /// The A/B variant recorded with the message, which every attempt renders.
    public var variant: String?

    public init(
        rowID: Int64, enrollmentID: Int64, step: String, messageID: String, attempts: Int, variant: String? = nil
    ) {
        self.variant = variant
        self.rowID = rowID
        self.enrollmentID = enrollmentID
        self.step = step
        self.messageID = messageID
        self.attempts = attempts
    }
}

/// What happened to a claimed message, and when its drip should be looked at next.
public struct DeliveryRecord: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case sent
        case deferred(retryAt: Date, error: String)
        /// Never reached the server: deferred to `retryAt` with the attempt it was
        /// charged when claimed given back, so it can never use up the retries.
        case untried(retryAt: Date, error: String)
        /// Refused for good; `bounce` marks the lead bounced (a 5xx to RCPT).
        case failed(error: String, bounce: Bool)
        case unknown(error: String)
        /// Never handed to the transport (the tick stopped): the claim is dropped and
        /// the step is due again.
        case released
    }

    public var claim: Claim
    public var outcome: Outcome
    /// For `sent`: when the next step is due (nil when the drip has nothing more).
    public var nextDueAt: Date?
    public var nextStep: String?
    /// For `sent`: this was the last step, and the drip is complete.
    public var completes: Bool
    /// For `sent`: when the transport accepted it, by the wall clock (tracking's machine
    /// window counts from here; the tick's `now` may be a replayed time).
    public var deliveredAt: Date?

    public init(
        claim: Claim, outcome: Outcome, nextDueAt: Date? = nil, nextStep: String? = nil, completes: Bool = false,
        deliveredAt: Date? = nil
    ) {
        self.deliveredAt = deliveredAt
        self.claim = claim
        self.outcome = outcome
        self.nextDueAt = nextDueAt
        self.nextStep = nextStep
        self.completes = completes
    }
}

/// A message left in state `sending` by a process that died.
public struct InterruptedSend: Sendable, Hashable {
    public var rowID: Int64
    public var enrollmentID: Int64
    public var messageID: String
    /// `sending` (it may have reached the transport) rather than only `claimed`.
    public var wasHandedOver: Bool

    public init(rowID: Int64, enrollmentID: Int64, messageID: String, wasHandedOver: Bool) {
        self.rowID = rowID
        self.enrollmentID = enrollmentID
        self.messageID = messageID
        self.wasHandedOver = wasHandedOver
    }
}

/// An active enrolment whose lead recorded one of the campaign's goal events between
/// its enrolment and the tick's clock: the first such event, and when it happened.
public struct ReachedGoal: Sendable, Hashable {
    public var enrollmentID: Int64
    public var event: String
    public var at: Date

    public init(enrollmentID: Int64, event: String, at: Date) {
        self.enrollmentID = enrollmentID
        self.event = event
        self.at = at
    }
}
