import Foundation

/// A drip sequence, as read from one file in `campaigns/`.
public struct Campaign: Sendable, Hashable {
    public var id: String
    public var name: String
    public var from: Mailbox
    public var replyTo: Mailbox?
    public var enroll: EnrollmentRule
    /// Goal events: recording one takes the lead out of the drip as a conversion.
    public var exitOn: [String]
    /// `reenroll: true`: a lead who already met a goal may still enter (by default it
    /// is kept out: it would be mailed toward a goal it has reached).
    public var reenroll = false
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

    /// The events that show a lead has met this campaign's goal: its `exit_on` events,
    /// and for a goal that is a stage, that stage's and every later stage's event (a
    /// lead past `sql` has met a goal of `sql`, whatever order the stages were added in).
    public func goalEvents(stages: StageRules) -> [String] {
        var events: [String] = []
        for goal in exitOn {
            for event in [goal] + stages.atOrAfter(goal) where !events.contains(event) { events.append(event) }
        }
        return events
    }

    /// The first goal event among `events` (a lead's, by name and time) at or before
    /// `now` that keeps the lead out of this campaign; nil when none does or the
    /// campaign says `reenroll: true`. What `enroll` applies in the store, for
    /// `simulate` to explain.
    public func goalMet(among events: [(name: String, at: Date)], stages: StageRules, by now: Date) -> (
        event: String, at: Date
    )? {
        guard !reenroll else { return nil }
        let goals = Set(goalEvents(stages: stages))
        return events.filter { goals.contains($0.name) && $0.at <= now }.min { $0.at < $1.at }.map { ($0.name, $0.at) }
    }

    /// Who enters, with the goal events that keep a lead out (none with `reenroll`).
    public func enrollment(stages: StageRules) -> EnrollmentRule {
        var rule = enroll
        rule.unlessRecorded = reenroll ? [] : goalEvents(stages: stages)
        return rule
    }
}

/// Who enters a campaign: leads carrying any of `tags`, or recording any of `events`.
public struct EnrollmentRule: Sendable, Hashable {
    public var tags: [String]
    public var events: [String]
    /// A lead that recorded any of these events at or before the tick's clock is not
    /// enrolled: it already met the campaign's goal (`Campaign.enrollment(stages:)`).
    public var unlessRecorded: [String] = []

    public init(tags: [String] = [], events: [String] = []) {
        self.tags = tags
        self.events = events
    }

    public var isEmpty: Bool { tags.isEmpty && events.isEmpty }

    /// What the rule is, whatever the order it was written in. A store keeps it beside
    /// where its last enrolment pass got to: a rule that changed (or a new campaign) is
    /// read from the beginning once; an unchanged one reads only what was added since.
    public var fingerprint: String {
        let base = "tags=\(tags.sorted().joined(separator: ","));events=\(events.sorted().joined(separator: ","))"
        return unlessRecorded.isEmpty ? base : base + ";unless=\(unlessRecorded.sorted().joined(separator: ","))"
    }
}
