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
        var snapshot = snapshot
        while let index = Self.nextStepIndex(in: campaign, snapshot: snapshot) {
            let step = campaign.steps[index]
            switch snapshot.steps[step.id] {
            case .deferred:
                let at = snapshot.retryAt[step.id] ?? now
                return DripPlan(skipped: skipped, action: at <= now ? .retry(step) : .wait(until: at, step: step.id))
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
            guard let text = lead.attributes[attribute], let date = AttributeDate.parse(text, zone: zone) else {
                return .skip(reason: "the lead has no date in '\(attribute)'")
            }
            due = offset.added(to: date, in: zone)
            // The moment passed before the lead got here (say, the trial already ended):
            // a late "ends in 3 days" would be wrong, so the step is passed over.
            if due < anchor { return .skip(reason: "'\(attribute)' \(offset) was already past") }
        }
        if let window = campaign.sendWindow {
            guard let open = window.nextOpening(atOrAfter: due, in: zone) else { return .skip(reason: "the send window never opens") }
            due = open
        }
        return .at(due)
    }
}
