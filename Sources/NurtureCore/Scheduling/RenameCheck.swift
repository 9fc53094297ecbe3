/// A step that leads already got, gone from the file, while a new step with the same
/// template appeared: almost surely a rename, and without `renamed_from` every lead who
/// got the old step would get the new one again. Pure: the campaign as written, the
/// steps the last tick saw (id → template), and how many leads got each stored step.
public enum RenameCheck {
    public static func problems(campaign: Campaign, known: [String: String]?, sent: [String: Int]) -> [Diagnostic] {
        guard let known else { return [] }
        let current = Set(campaign.steps.map(\.id))
        let carried = Set(campaign.steps.compactMap(\.renamedFrom))
        var problems: [Diagnostic] = []
        for step in campaign.steps where known[step.id] == nil && sent[step.id] == nil && step.renamedFrom == nil {
            let gone = known.filter { id, template in
                template == step.template && !current.contains(id) && !carried.contains(id) && (sent[id] ?? 0) > 0
            }
            guard let (old, _) = gone.min(by: { $0.key < $1.key }) else { continue }
            let leads = sent[old] ?? 0
            problems.append(
                .error(
                    at: step.location,
                    "step '\(step.id)' replaces step '\(old)' (same template \(step.template)), which \(leads) lead\(leads == 1 ? "" : "s") already got; they would get it again",
                    hint:
                        "add `renamed_from: \(old)` to step '\(step.id)' to carry its history over, or run with --allow-removed to send it as a new step"
                ))
        }
        return problems
    }

    /// The problems of these campaigns, against the store. `run` asks at every tick, so
    /// the sent counts (a scan of the campaign's messages) are read only for a campaign
    /// where a gone step and a new one share a template.
    public static func all(_ campaigns: [Campaign], store: any DripStore) async throws -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for campaign in campaigns {
            guard let known = try await store.knownSteps(campaignID: campaign.id) else { continue }
            let ids = Set(campaign.steps.map(\.id))
            let goneTemplates = Set(known.filter { !ids.contains($0.key) }.map(\.value))
            guard campaign.steps.contains(where: { known[$0.id] == nil && goneTemplates.contains($0.template) }) else {
                continue
            }
            problems += Self.problems(
                campaign: campaign, known: known, sent: try await store.sentCounts(campaignID: campaign.id))
        }
        return problems
    }
}
