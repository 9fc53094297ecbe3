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
        goalCampaigns = Dictionary(
            uniqueKeysWithValues: rules.ids.map { stage in
                (stage, catalog.campaigns.filter { $0.exitOn.contains(stage) }.map(\.id))
            })
    }

    /// Checks every queued lead; returns the entries made.
    @discardableResult
    public func run(now: Date) async throws -> [StageEntry] {
        _ = try await store.prepareStageChecks(fingerprint: rules.isEmpty ? nil : rules.fingerprint)
        guard !rules.isEmpty else { return [] }
        // Leads that recorded something dated after an earlier check's clock, now due.
        _ = try await store.queueStageRechecks(dueBy: now)
        var entered: [StageEntry] = []
        while true {
            let page = try await store.queuedStageChecks(limit: pageSize)
            if page.isEmpty { return entered }
            let verdict = try await verdict(for: page, now: now)
            entered += try await store.enterStages(
                verdict.entries, done: page, recheck: verdict.rechecks, goalCampaigns: goalCampaigns, now: now)
        }
    }

    /// What the rules say the page's leads enter at `now`, each entry dated when its rule
    /// first held; and which leads to look at again because they recorded something
    /// dated after `now`. An unsubscribed lead still moves on (a customer is a
    /// customer); it is only never mailed.
    func verdict(for page: [StageCheck], now: Date) async throws -> (entries: [StageEntry], rechecks: [StageRecheck]) {
        let ids = page.compactMap(\.lead.id)
        let evidence = try await store.scoreEvidence(leadIDs: ids, events: scoreRules.scoredEvents)
        var entries: [StageEntry] = []
        var rechecks: [StageRecheck] = []
        for check in page {
            guard let id = check.lead.id else { continue }
            let leadEvidence = evidence[id] ?? []
            var lead = check.lead
            lead.score = scoreRules.score(of: lead, evidence: leadEvidence, at: now)
            // An event recorded for a time after `now` is not seen yet: it is looked at
            // again by the first check at or after its time.
            lead.firstEvents = lead.firstEvents.filter { $0.value <= now }
            if let next = StageRules.nextLook(at: check.lead, evidence: leadEvidence, after: now) {
                rechecks.append(StageRecheck(leadID: id, at: next))
            }
            let entering = rules.entering(lead)
            guard !entering.isEmpty else { continue }
            let times = rules.entryTimes(
                of: entering, lead: check.lead, evidence: leadEvidence, scoreRules: scoreRules, now: now)
            entries += entering.map { StageEntry(leadID: id, stage: $0, at: times[$0] ?? now) }
        }
        return (entries, rechecks)
    }
}
