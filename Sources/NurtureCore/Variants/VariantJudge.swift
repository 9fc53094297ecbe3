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
        var recorded = try await recordedWinners()
        var decided: [VariantWinner] = []
        for campaign in catalog.campaigns {
            var report: VariantReport?
            for step in campaign.steps {
                guard let rule = step.winner else { continue }
                let key = VariantWinners.key(campaign.id, step.id)
                if let current = recorded[key], rule.pick == nil || current.variant == rule.pick { continue }
                if rule.pick == nil, report == nil {
                    // Every variant sent `after` times needs that many times their number
                    // in all: until then one count per step says the test cannot end yet.
                    let sent = try await store.sentCounts(campaignID: campaign.id)[step.id] ?? 0
                    guard sent >= rule.after * step.variants.count else { continue }
                    report = VariantReport(messages: try await store.sentMessages(campaignID: campaign.id), steps: campaign.steps)
                }
                let declared = Set(step.variants.map(\.id))
                guard let decision = rule.decide(report?.rows(ofStep: step.id).filter { declared.contains($0.variant) } ?? []) else { continue }
                let winner = VariantWinner(
                    campaignID: campaign.id, step: step.id, variant: decision.variant, decidedAt: now,
                    reason: rule.pick == nil ? rule.metric.rawValue : VariantWinner.pickedReason, pValue: decision.pValue)
                try await store.recordVariantWinner(winner)
                recorded[key] = winner
                decided.append(winner)
            }
        }
        // Another sender (PostgreSQL) may have decided first: what the store kept counts.
        if !decided.isEmpty {
            recorded = try await recordedWinners()
        }
        var winners = VariantWinners()
        for campaign in catalog.campaigns {
            for step in campaign.steps where step.winner != nil {
                if let winner = recorded[VariantWinners.key(campaign.id, step.id)] { winners.byStep[VariantWinners.key(campaign.id, step.id)] = winner.variant }
            }
        }
        return (winners, decided)
    }

    private func recordedWinners() async throws -> [String: VariantWinner] {
        Dictionary(try await store.variantWinners().map { (VariantWinners.key($0.campaignID, $0.step), $0) }, uniquingKeysWith: { _, last in last })
    }
}
