import Foundation
import NurtureCore

extension PlanCommand {
    /// What the file's A/B variants mean now: each test's state, variants added or taken
    /// out since messages were sent, and a winner the file picks that the next run records.
    /// `recorded`: every campaign's winners, read once for the whole plan.
    static func variantChanges(campaign: Campaign, recorded: [VariantWinner], store: any Store) async throws -> [String]
    {
        let winners = recorded.filter { $0.campaignID == campaign.id }
        let tested = campaign.steps.contains { !$0.variants.isEmpty }
        guard tested || !winners.isEmpty else { return [] }
        let report = VariantReport(
            messages: try await store.sentMessages(campaignID: campaign.id), steps: campaign.steps)
        var lines: [String] = []
        for step in campaign.steps {
            let rows = report.rows(ofStep: step.id)
            let declared = step.variants.map(\.id)
            if declared.isEmpty {
                if !rows.isEmpty {
                    lines.append(
                        "step '\(step.id)' no longer has variants (\(rows.map(\.variant).joined(separator: ", ")) were sent): later leads get its subject and template"
                    )
                }
                continue
            }
            let sent = rows.filter { $0.sent > 0 }
            lines.append(
                "step '\(step.id)' tests variants \(declared.joined(separator: ", "))"
                    + (sent.isEmpty
                        ? ", none sent yet"
                        : " (sent: \(sent.map { "\($0.variant) \($0.sent)" }.joined(separator: ", ")))"))
            for row in sent where !declared.contains(row.variant) {
                lines.append(
                    "variant '\(row.variant)' of step '\(step.id)' is no longer in the file: \(row.sent) message\(row.sent == 1 ? " was" : "s were") sent as it; "
                        + "nobody new gets it, and a retry of one renders variant '\(declared[0])'")
            }
            if !sent.isEmpty {
                for id in declared where !sent.contains(where: { $0.variant == id }) {
                    lines.append(
                        "variant '\(id)' of step '\(step.id)' is new: later leads are split over \(declared.joined(separator: ", "))"
                    )
                }
            }
            let recorded = winners.first { $0.step == step.id }
            if let pick = step.winner?.pick, recorded?.variant != pick {
                lines.append(
                    "step '\(step.id)': the file picks variant '\(pick)'"
                        + (recorded.map { ", replacing winner '\($0.variant)'" } ?? "")
                        + "; from the next run every later lead gets it")
            } else if step.winner == nil, let recorded {
                lines.append(
                    "step '\(step.id)': winner '\(recorded.variant)' was decided, but the file has no 'winner' rule now: later leads are split evenly again"
                )
            }
        }
        lines += report.testStates(steps: campaign.steps, winners: winners)
        return lines
    }
}
