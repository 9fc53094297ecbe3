import Foundation

extension StageRules {
    /// When `lead` entered each stage of `entering` (as `entering(_:)` listed them at
    /// `now`): the first moment its rule held, found by trying the rule at each moment
    /// some timed evidence arrived (an event's first occurrence, a scored open, click or
    /// event), oldest first. A stage whose rule holds without any timed evidence (tags,
    /// attributes, fit: facts without a date) is dated `now`, when the check saw it. A
    /// stage entered only because a later one was is dated with that later one, and no
    /// stage is dated after a later stage of the funnel.
    public func entryTimes(
        of entering: [String], lead: Lead, evidence: [ScoreEvidence], scoreRules: ScoreRules, now: Date
    ) -> [String: Date] {
        let moments = Set(lead.firstEvents.values.filter { $0 <= now } + evidence.map(\.at).filter { $0 <= now })
            .sorted()
        func holds(_ stage: Stage, at time: Date?) -> Bool {
            var seen = lead
            seen.firstEvents = time.map { time in lead.firstEvents.filter { $0.value <= time } } ?? [:]
            seen.score = scoreRules.score(of: lead, evidence: time == nil ? [] : evidence, at: time ?? now)
            let snapshot = EnrollmentSnapshot(id: 0, campaignID: "", enrolledAt: Date(timeIntervalSince1970: 0))
            return ConditionEvaluator(lead: seen, snapshot: snapshot).holds(stage.when)
        }
        var times: [String: Date] = [:]
        var later = now
        for id in entering.reversed() {
            guard let stage = stages.first(where: { $0.id == id }) else { continue }
            if !holds(stage, at: nil), let first = moments.first(where: { holds(stage, at: $0) }) {
                later = min(first, later)
            }
            times[id] = later
        }
        return times
    }

    /// When `lead` must be checked again: the earliest event or scored evidence dated
    /// after `now` (recorded ahead, or a replay's clock behind it); nil when none is.
    public static func nextLook(at lead: Lead, evidence: [ScoreEvidence], after now: Date) -> Date? {
        (lead.firstEvents.values.filter { $0 > now } + evidence.map(\.at).filter { $0 > now }).min()
    }
}
