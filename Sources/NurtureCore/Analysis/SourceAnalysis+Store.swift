import Foundation

extension SourceAnalysis.Builder {
    /// Adds every lead captured in [`from`, `to`) (nil: open on that side), scored at
    /// `now`, with its stages and whether it converted: read a page at a time, so memory
    /// stays flat however many leads there are. `report --by source` and the report page.
    public mutating func addLeads(
        from store: any Store, capturedFrom from: Date?, before to: Date?, scoreRules rules: ScoreRules, now: Date
    ) async throws {
        var after: Int64 = 0
        while true {
            let page = try await store.leads(matching: LeadFilter(), after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.id ?? after
            let captured = page.filter { lead in
                guard let created = lead.createdAt else { return from == nil && to == nil }
                return (from.map { created >= $0 } ?? true) && (to.map { created < $0 } ?? true)
            }
            let ids = captured.compactMap(\.id)
            let evidence = try await store.scoreEvidence(leadIDs: ids, events: rules.scoredEvents)
            let stages = try await store.stages(ofLeads: ids)
            let converted = try await store.convertedLeads(among: ids)
            for lead in captured {
                let id = lead.id ?? 0
                add(
                    lead, score: rules.score(of: lead, evidence: evidence[id] ?? [], at: now), stages: stages[id] ?? [],
                    converted: converted.contains(id))
            }
        }
    }
}
