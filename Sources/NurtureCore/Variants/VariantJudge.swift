import Foundation

/// The A/B winners a tick sends by, keyed by campaign and step. Only steps whose file
/// still has a `winner` rule are included: taking the rule out resumes the even split.
public struct VariantWinners: Sendable, Hashable {
    var byStep: [String: String] = [:]

    public init() {}

    public func winner(campaign: String, step: String) -> String? { byStep[Self.key(campaign, step)] }

    static func key(_ campaign: String, _ step: String) -> String { "\(campaign)\u{0}\(step)" }
}

/// Decides A/B tests at the start of a tick, before anything is sent: a variant picked in
/// the file is recorded (replacing an earlier winner), and a test still open is ended
/// when its rule is met by the messages sent so far. A recorded winner stays; the
/// numbers are read only while some test is open.
public struct VariantJudge: Sendable {
    public var store: any Store
    public var catalog: CampaignCatalog

    public init(store: any Store, catalog: CampaignCatalog) {
        self.store = store
        self.catalog = catalog
    }

    /// The winners to send by, and those decided by this call.
    public func run(now: Date) async throws -> (winners: VariantWinners, decided: [VariantWinner]) {
        let tests = catalog.campaigns.flatMap { campaign in
            campaign.steps.compactMap { step in step.winner.map { (campaign, step, $0) } }
        }
        // Most installations test nothing: then a tick asks the store nothing here.
        guard !tests.isEmpty else { return (VariantWinners(), []) }
        var recorded = try await recordedWinners()
        var decided: [VariantWinner] = []
        // Read at most once per campaign, and only for a test that could end now.
        var sentCounts: [String: [String: Int]] = [:]
        var reports: [String: VariantReport] = [:]
        for (campaign, step, rule) in tests {
            let key = VariantWinners.key(campaign.id, step.id)
            if let current = recorded[key], rule.pick == nil || current.variant == rule.pick { continue }
            var rows: [VariantReport.Row] = []
            if rule.pick == nil {
                // Every variant sent `after` times needs that many times their number in
                // all: until then one count per step says the test cannot end yet.
                if sentCounts[campaign.id] == nil {
                    sentCounts[campaign.id] = try await store.sentCounts(campaignID: campaign.id)
                }
                guard (sentCounts[campaign.id]?[step.id] ?? 0) >= rule.after * step.variants.count else { continue }
                let report: VariantReport
                if let known = reports[campaign.id] {
                    report = known
                } else {
                    report = VariantReport(
                        messages: try await store.sentMessages(campaignID: campaign.id), steps: campaign.steps)
                    reports[campaign.id] = report
                }
                let declared = Set(step.variants.map(\.id))
                rows = report.rows(ofStep: step.id).filter { declared.contains($0.variant) }
            }
            guard let decision = rule.decide(rows) else { continue }
            let winner = VariantWinner(
                campaignID: campaign.id, step: step.id, variant: decision.variant, decidedAt: now,
                reason: rule.pick == nil ? rule.metric.rawValue : VariantWinner.pickedReason, pValue: decision.pValue)
            try await store.recordVariantWinner(winner)
            recorded[key] = winner
            decided.append(winner)
        }
        // Another sender (PostgreSQL) may have decided first: what the store kept counts.
        if !decided.isEmpty { recorded = try await recordedWinners() }
        var winners = VariantWinners()
        for (campaign, step, _) in tests {
            let key = VariantWinners.key(campaign.id, step.id)
            winners.byStep[key] = recorded[key]?.variant
        }
        return (winners, decided)
    }

    private func recordedWinners() async throws -> [String: VariantWinner] {
        Dictionary(
            try await store.variantWinners().map { (VariantWinners.key($0.campaignID, $0.step), $0) },
            uniquingKeysWith: { _, last in last })
    }
}
