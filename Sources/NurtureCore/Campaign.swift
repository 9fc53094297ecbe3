/// A drip sequence, as read from one file in `campaigns/`.
public struct Campaign: Sendable, Hashable {
    public var id: String
    public var name: String
    public var from: Mailbox
    public var replyTo: Mailbox?
    public var enroll: EnrollmentRule
    /// Goal events: recording one takes the lead out of the drip as a conversion.
    public var exitOn: [String]
    public var sendWindow: SendWindow?
    /// A step due longer ago than this (a tick after an outage) is skipped, not sent late.
    /// Nil: no limit.
    public var maxLate: DripDuration?
    public var steps: [Step]
    /// The file the campaign was read from.
    public var file: String

    public init(
        id: String, name: String, from: Mailbox, replyTo: Mailbox? = nil, enroll: EnrollmentRule,
        exitOn: [String] = [], sendWindow: SendWindow? = nil, maxLate: DripDuration? = nil, steps: [Step], file: String
    ) {
        self.maxLate = maxLate
        self.id = id
        self.name = name
        self.from = from
        self.replyTo = replyTo
        self.enroll = enroll
        self.exitOn = exitOn
        self.sendWindow = sendWindow
        self.steps = steps
        self.file = file
    }

    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }
}

/// Who enters a campaign: leads carrying any of `tags`, or recording any of `events`.
public struct EnrollmentRule: Sendable, Hashable {
    public var tags: [String]
    public var events: [String]

    public init(tags: [String] = [], events: [String] = []) {
        self.tags = tags
        self.events = events
    }

    public var isEmpty: Bool { tags.isEmpty && events.isEmpty }

    /// What the rule is, whatever the order it was written in. A store keeps it beside
    /// where its last enrolment pass got to: a rule that changed (or a new campaign) is
    /// read from the beginning once; an unchanged one reads only what was added since.
    public var fingerprint: String {
        "tags=\(tags.sorted().joined(separator: ","));events=\(events.sorted().joined(separator: ","))"
    }
}
