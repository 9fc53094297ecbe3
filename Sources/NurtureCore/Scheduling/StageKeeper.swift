import Foundation

/// Moves leads through the lifecycle stages: checks the leads the store queued (because
/// something about them changed) against the stage rules, at `now`, and records what
/// they entered. Run at the start of each tick (before enrolment, so a campaign that
/// enrols on a stage's event takes the lead in the same tick) and by `serve` and `event`
/// as soon as activity arrives.
public struct StageKeeper: Sendable {
    public var store: any Store
    public var rules: StageRules
    public var scoreRules: ScoreRules
    /// For each stage, the campaigns whose `exit_on` names it.
    public var goalCampaigns: [String: [String]]
    public var pageSize = 500

    public init(store: any Store, rules: StageRules, scoreRules: ScoreRules, catalog: CampaignCatalog) {
        self.store = store
        self.rules = rules
        self.scoreRules = scoreRules
        goalCampaigns = Dictionary(uniqueKeysWithValues: rules.ids.map { stage in
            (stage, catalog.campaigns.filter { $0.exitOn.contains(stage) }.map(\.id))
        })
    }

    /// Checks every queued lead; returns the entries made.
    @discardableResult
    public func run(now: Date) async throws -> [StageEntry] {
        _ = try await store.prepareStageChecks(fingerprint: rules.isEmpty ? nil : rules.fingerprint)
        guard !rules.isEmpty else { return [] }
        var entered: [StageEntry] = []
        while true {
            let page = try await store.queuedStageChecks(limit: pageSize)
            if page.isEmpty { return entered }
            entered += try await store.enterStages(entries(for: page, now: now), done: page, goalCampaigns: goalCampaigns, now: now)
        }
    }

    /// What the rules say the page's leads enter at `now`. An unsubscribed lead still
    /// moves on (a customer is a customer); it is only never mailed.
    func entries(for page: [StageCheck], now: Date) async throws -> [StageEntry] {
        let ids = page.compactMap(\.lead.id)
        let evidence = try await store.scoreEvidence(leadIDs: ids, events: scoreRules.scoredEvents)
        return page.flatMap { check -> [StageEntry] in
            guard let id = check.lead.id else { return [] }
            var lead = check.lead
            lead.score = scoreRules.score(of: lead, evidence: evidence[id] ?? [], at: now)
            // An event recorded for a time after `now` (a replay) is not seen yet.
            lead.firstEvents = lead.firstEvents.filter { $0.value <= now }
            return rules.entering(lead).map { StageEntry(leadID: id, stage: $0) }
        }
    }
}
