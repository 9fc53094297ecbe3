/// Decides a step's `if:` for a lead, from what the lead is and did.
public struct ConditionEvaluator: Sendable {
    public let lead: Lead
    public let snapshot: EnrollmentSnapshot

    public init(lead: Lead, snapshot: EnrollmentSnapshot) {
        self.lead = lead
        self.snapshot = snapshot
    }

    public func holds(_ condition: Condition) -> Bool {
        switch condition {
        case .opened(let step): return snapshot.opened.contains(step)
        case .clicked(let step): return snapshot.clicked.contains(step)
        case .notOpened(let step): return !snapshot.opened.contains(step)
        case .notClicked(let step): return !snapshot.clicked.contains(step)
        case .scoreAtLeast(let score): return lead.score.total >= Double(score)
        case .fitAtLeast(let points): return lead.score.fit >= points
        case .engagementAtLeast(let points): return lead.score.engagement >= Double(points)
        case .event(let name): return lead.firstEvents[name] != nil
        case .stage(let id): return lead.stages.contains(id)
        case .hasTag(let tag): return lead.tags.contains(tag)
        case .attribute(let name, let test):
            let value = lead.attributes[name].flatMap { $0.isEmpty ? nil : $0 }
            switch test {
            case .equals(let expected): return value == expected
            case .notEquals(let expected): return value != expected
            case .oneOf(let values): return value.map(values.contains) ?? false
            case .exists(let wanted): return (value != nil) == wanted
            }
        case .all(let conditions): return conditions.allSatisfy(holds)
        case .any(let conditions): return conditions.contains(where: holds)
        }
    }
}

extension ConditionEvaluator {
    /// Whether the condition holds, and why, for people (`preview`, `/preview`):
    /// "no: opened welcome: no; score_at_least 5: yes (score 7)".
    public func explain(_ condition: Condition) -> (holds: Bool, why: String) {
        let holds = holds(condition)
        return (holds, "\(holds ? "yes" : "no"): \(describe(condition))")
    }

    private func describe(_ condition: Condition) -> String {
        func mark(_ ok: Bool) -> String { ok ? "yes" : "no" }
        switch condition {
        case .opened(let step): return "opened \(step): \(mark(holds(condition)))"
        case .clicked(let step): return "clicked \(step): \(mark(holds(condition)))"
        case .notOpened(let step): return "not opened \(step): \(mark(holds(condition)))"
        case .notClicked(let step): return "not clicked \(step): \(mark(holds(condition)))"
        case .scoreAtLeast(let score):
            return "score_at_least \(score): \(mark(holds(condition))) (score \(lead.score.totalText))"
        case .fitAtLeast(let points): return "fit_at_least \(points): \(mark(holds(condition))) (fit \(lead.score.fit))"
        case .engagementAtLeast(let points):
            return
                "engagement_at_least \(points): \(mark(holds(condition))) (engagement \(LeadScore.text(lead.score.engagement)))"
        case .event(let name): return "event \(name): \(mark(holds(condition)))"
        case .stage(let id): return "stage \(id): \(mark(holds(condition)))"
        case .hasTag(let tag): return "has_tag \(tag): \(mark(holds(condition)))"
        case .attribute(let name, let test):
            let value = lead.attributes[name].map { "'\($0)'" } ?? "none"
            return "attribute \(name) \(test): \(mark(holds(condition))) (\(value))"
        case .all(let list): return "all of [\(list.map(describe).joined(separator: "; "))]"
        case .any(let list): return "any of [\(list.map(describe).joined(separator: "; "))]"
        }
    }
}
