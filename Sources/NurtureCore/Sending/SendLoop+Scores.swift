import Foundation

extension SendLoop {
    /// Whether any step's condition reads a score: only then does a batch read what its
    /// leads did to score (one query per batch), since a score is taken at `now`.
    var conditionsReadScores: Bool { anyStepCondition(\.readsScore) }

    func anyStepCondition(_ test: (Condition) -> Bool) -> Bool {
        catalog.campaigns.contains { $0.steps.contains { $0.condition.map(test) ?? false } }
    }

    /// Whether any step's condition reads a lead's stages.
    var conditionsReadStages: Bool { anyStepCondition(\.readsStages) }

    /// Gives each due lead the stages it reached.
    func fillStages(_ due: inout [DueEnrollment]) async throws {
        let stages = try await store.stages(ofLeads: Array(Set(due.compactMap(\.lead.id))))
        for index in due.indices { due[index].lead.stages = due[index].lead.id.flatMap { stages[$0] } ?? [] }
    }

    /// Gives each due lead its score at `now` under `scoreRules`.
    func fillScores(_ due: inout [DueEnrollment], now: Date) async throws {
        let evidence = try await store.scoreEvidence(
            leadIDs: Array(Set(due.compactMap(\.lead.id))), events: scoreRules.scoredEvents)
        for index in due.indices {
            due[index].lead.score = scoreRules.score(
                of: due[index].lead, evidence: due[index].lead.id.flatMap { evidence[$0] } ?? [], at: now)
        }
    }
}
