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
        case .scoreAtLeast(let score): return lead.score >= score
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
