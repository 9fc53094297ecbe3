import Foundation

/// What to do next for one enrolment.
public enum DripAction: Sendable, Hashable {
    /// Render and send this step now.
    case send(Step)
    /// Send the deferred message of this step again now.
    case retry(Step)
    /// Nothing is due yet: look again at this time.
    case wait(until: Date, step: String)
    /// A message's outcome is unknown; nothing more goes out until the user decides.
    case blocked(step: String)
    /// Every step is behind the lead.
    case complete
    /// A condition with `else: exit` was false.
    case exit(step: String)
    /// The lead may no longer be mailed.
    case suppressed(LeadStatus)
}

/// The plan for one enrolment at one moment: steps passed over on the way, and the action.
public struct DripPlan: Sendable, Hashable {
    public struct Skip: Sendable, Hashable {
        public var step: String
        public var reason: String
    }

    public var skipped: [Skip]
    public var action: DripAction
}

/// The scheduler's decision for one enrolment: a pure function of the campaign, the
/// lead, what the enrolment has been through, and `now`.
public struct DripPlanner: Sendable {
    /// The zone for leads who have none, when the campaign's window names none either.
    public var defaultZone: TimeZone

    public init(defaultZone: TimeZone = TimeZone(identifier: "UTC")!) {
        self.defaultZone = defaultZone
    }

    /// The lead's own zone, else the campaign window's, else the default.
    public func zone(for lead: Lead, in campaign: Campaign) -> TimeZone {
        for name in [lead.timeZone, campaign.sendWindow?.timeZone].compactMap({ $0 }) {
            if let zone = TimeZone(identifier: name) { return zone }
        }
        return defaultZone
    }

    /// The next step for the lead: the first step after the last one that is behind it,
    /// in the campaign's current order. Step ids, not positions, record what was done,
    /// so reordering, renaming or inserting steps never resends one; a step inserted
    /// before where the lead is will not be sent to it.
    /// `snapshot` must already follow the campaign's renames.
    public static func nextStepIndex(in campaign: Campaign, snapshot: EnrollmentSnapshot) -> Int? {
        let lastTouched = campaign.steps.lastIndex { snapshot.steps[$0.id] != nil }
        if let lastTouched, let state = snapshot.steps[campaign.steps[lastTouched].id], !state.isFinal {
            return lastTouched  // a message of this step is still in flight or waiting
        }
        let next = lastTouched.map { $0 + 1 } ?? 0
        return next < campaign.steps.count ? next : nil
    }

    public func plan(campaign: Campaign, lead: Lead, snapshot: EnrollmentSnapshot, now: Date) -> DripPlan {
        guard lead.status == .active else { return DripPlan(skipped: [], action: .suppressed(lead.status)) }
        let zone = zone(for: lead, in: campaign)
        var skipped: [DripPlan.Skip] = []
        var snapshot = snapshot.followingRenames(in: campaign)
        while let index = Self.nextStepIndex(in: campaign, snapshot: snapshot) {
            let step = campaign.steps[index]
            switch snapshot.steps[step.id] {
            case .deferred:
                let at = snapshot.retryAt[step.id] ?? now
                if at > now { return DripPlan(skipped: skipped, action: .wait(until: at, step: step.id)) }
                // A retry goes out only inside the window too, however late the tick.
                if let opening = windowClosed(campaign, at: now, zone: zone) {
                    return DripPlan(
                        skipped: skipped,
                        action: opening.map { .wait(until: $0, step: step.id) } ?? .blocked(step: step.id))
                }
                return DripPlan(skipped: skipped, action: .retry(step))
            case .claimed, .sending, .unknown:
                return DripPlan(skipped: skipped, action: .blocked(step: step.id))
            default: break
            }
            let anchor = snapshot.lastSentAt ?? snapshot.enrolledAt
            switch dueTime(of: step, campaign: campaign, lead: lead, anchor: anchor, zone: zone) {
            case .skip(let reason):
                skipped.append(.init(step: step.id, reason: reason))
                snapshot.steps[step.id] = .skipped
                continue
            case .at(let due):
                if due > now { return DripPlan(skipped: skipped, action: .wait(until: due, step: step.id)) }
                if let reason = tooLate(step, campaign: campaign, lead: lead, due: due, now: now, zone: zone) {
                    skipped.append(.init(step: step.id, reason: reason))
                    snapshot.steps[step.id] = .skipped
                    continue
                }
                // Overdue (cron stopped, SMTP was down): the window holds at send time, so
                // the step waits for the window's next opening in the lead's zone.
                if let opening = windowClosed(campaign, at: now, zone: zone) {
                    guard let opening else {
                        skipped.append(.init(step: step.id, reason: "the send window never opens"))
                        snapshot.steps[step.id] = .skipped
                        continue
                    }
                    return DripPlan(skipped: skipped, action: .wait(until: opening, step: step.id))
                }
            }
            if let condition = step.condition, !ConditionEvaluator(lead: lead, snapshot: snapshot).holds(condition) {
                if step.otherwise == .exit { return DripPlan(skipped: skipped, action: .exit(step: step.id)) }
                skipped.append(.init(step: step.id, reason: "condition not met"))
                snapshot.steps[step.id] = .skipped
                continue
            }
            return DripPlan(skipped: skipped, action: .send(step))
        }
        return DripPlan(skipped: skipped, action: .complete)
    }

    /// Nil when the campaign's window is open at `now` (or it has none); otherwise its
    /// next opening (nil inside: it never opens).
    func windowClosed(_ campaign: Campaign, at now: Date, zone: TimeZone) -> Date?? {
        guard let window = campaign.sendWindow else { return nil }
        let opening = window.nextOpening(atOrAfter: now, in: zone)
        return opening == now ? nil : .some(opening)
    }

    /// Why a step that fell due at `due` must not go out at `now`, if it must not: later
    /// than the campaign's `max_late`, or a `wait_until` reminder whose date has passed.
    func tooLate(_ step: Step, campaign: Campaign, lead: Lead, due: Date, now: Date, zone: TimeZone) -> String? {
        if let maxLate = campaign.maxLate, now > maxLate.added(to: due, in: zone) {
            return "more than \(maxLate) late (due \(Self.timeText(due, zone: zone)), max_late \(maxLate))"
        }
        // A reminder before (or on) a date of the lead's own is not news once that date
        // is over: "your trial ends in 2 days" after the trial ended.
        if case .waitUntil(let attribute, let offset) = step.timing, offset.isNegative || offset == .zero,
            let text = lead.attributes[attribute],
            let over = AttributeDate.end(of: text, zone: zone), now >= over
        {
            return "'\(attribute)' (\(TextChecks.trimmed(text))) has passed"
        }
        return nil
    }

    static func timeText(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        // Foundation on Linux names UTC "GMT".
        let name = zone.identifier == "GMT" ? "UTC" : zone.identifier
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!) + " " + name
    }

    enum Due: Equatable {
        case at(Date)
        case skip(reason: String)
    }

    /// When a step becomes due: its wait after `anchor`, or the lead's date plus the
    /// offset, moved into the send window.
    func dueTime(of step: Step, campaign: Campaign, lead: Lead, anchor: Date, zone: TimeZone) -> Due {
        var due: Date
        switch step.timing {
        case .wait(let duration):
            due = duration.added(to: anchor, in: zone)
        case .waitUntil(let attribute, let offset):
            guard let text = lead.attributes[attribute], !TextChecks.trimmed(text).isEmpty else {
                return .skip(reason: "the lead has no '\(attribute)'")
            }
            guard let date = AttributeDate.parse(text, zone: zone) else {
                return .skip(reason: "'\(attribute)' is not a date: '\(text)' (write ISO 8601, like 2030-12-04)")
            }
            due = offset.added(to: date, in: zone)
            // The moment passed before the lead got here (say, the trial already ended):
            // a late "ends in 3 days" would be wrong, so the step is passed over.
            if due < anchor { return .skip(reason: "'\(attribute)' \(offset) was already past") }
        }
        if let window = campaign.sendWindow {
            guard let open = window.nextOpening(atOrAfter: due, in: zone) else {
                return .skip(reason: "the send window never opens")
            }
            due = open
        }
        return .at(due)
    }
}
