import Foundation

/// One lifecycle stage of `stages:` in nurture.yml: a lead enters it when `when` first
/// holds, and never leaves it.
public struct Stage: Sendable, Hashable {
    public var id: String
    public var when: Condition

    public init(id: String, when: Condition) {
        self.id = id
        self.when = when
    }
}

/// The funnel's stages, in order (lead → mql → sql → customer). Forward only: a lead
/// whose rule for a later stage holds enters it and every earlier stage it had not
/// reached, at once, so each stage counts everyone who got that far.
public struct StageRules: Sendable, Hashable {
    public var stages: [Stage]

    public init(_ stages: [Stage] = []) {
        self.stages = stages
    }

    public var isEmpty: Bool { stages.isEmpty }
    public var ids: [String] { stages.map(\.id) }

    /// What the rules say, for noticing that they changed (every lead is then checked again).
    public var fingerprint: String { stages.map { "\($0.id)=\($0.when)" }.joined(separator: ";") }

    /// The stages `lead` enters now, in order: every stage up to the last one whose rule
    /// holds that it has not reached (`lead.stages`). Needs the lead's score, tags,
    /// attributes and first events.
    public func entering(_ lead: Lead) -> [String] {
        let snapshot = EnrollmentSnapshot(id: 0, campaignID: "", enrolledAt: Date(timeIntervalSince1970: 0))
        let evaluator = ConditionEvaluator(lead: lead, snapshot: snapshot)
        guard let last = stages.lastIndex(where: { evaluator.holds($0.when) }) else { return [] }
        return stages[...last].map(\.id).filter { !lead.stages.contains($0) }
    }

    /// `stages` in funnel order; any no longer configured last, by name.
    public static func ordered(_ stages: Set<String>, by order: [String]) -> [String] {
        order.filter(stages.contains) + stages.subtracting(order).sorted()
    }

    /// `id` and the stages after it: who is "at least" at `id`.
    public func atOrAfter(_ id: String) -> [String] {
        guard let index = stages.firstIndex(where: { $0.id == id }) else { return [] }
        return stages[index...].map(\.id)
    }
}
