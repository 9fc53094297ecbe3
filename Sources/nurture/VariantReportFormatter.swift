import Foundation
import NurtureCore

/// The A/B part of `report`: per step and variant the rates and their p-values against
/// the step's first variant, and each test's state.
enum VariantReportFormatter {
    struct Entry {
        var campaign: String
        /// The campaign's steps as written (empty when its file is gone).
        var steps: [Step]
        var report: VariantReport
        var winners: [VariantWinner]

        var isEmpty: Bool { report.rows.isEmpty }
    }

    static func table(_ entries: [Entry]) -> String {
        var out = ""
        for entry in entries where !entry.isEmpty {
            out += "\(entry.campaign): A/B variants\n"
            let header = [
                "step", "variant", "sent", "opened", "open%", "p", "clicked", "click%", "p", "convert", "conv%", "p",
            ]
            let rows = entry.report.rows.map { row in
                [
                    row.step, row.variant, String(row.sent), String(row.opened),
                    CampaignReport.percent(row.sent > 0 ? row.openRate : nil), pText(row.openP),
                    String(row.clicked), CampaignReport.percent(row.sent > 0 ? row.clickRate : nil), pText(row.clickP),
                    String(row.converted), CampaignReport.percent(row.sent > 0 ? row.conversionRate : nil),
                    pText(row.conversionP),
                ]
            }
            for line in TextOutput.table([header] + rows) { out += "  " + line + "\n" }
            for line in entry.report.testStates(steps: entry.steps, winners: entry.winners) {
                out += "  " + line + "\n"
            }
            out +=
                "  (p: the two-proportion test against the step's first variant; below 0.05 is a difference at 95%)\n"
        }
        return out
    }

    static func pText(_ p: Double?) -> String { p.map(VariantReport.pValueText) ?? "" }

    static func jsonObject(_ entry: Entry) -> [String: Any] {
        [
            "variants": entry.report.rows.map { row -> [String: Any] in
                [
                    "step": row.step, "variant": row.variant, "sent": row.sent,
                    "unique_opens": row.opened, "open_rate": row.openRate, "open_p_value": row.openP ?? NSNull(),
                    "unique_clicks": row.clicked, "click_rate": row.clickRate, "click_p_value": row.clickP ?? NSNull(),
                    "converted": row.converted, "conversion_rate": row.conversionRate,
                    "conversion_p_value": row.conversionP ?? NSNull(),
                ]
            },
            "winners": entry.winners.map { winner -> [String: Any] in
                [
                    "step": winner.step, "variant": winner.variant, "decided_at": winner.decidedAt.iso8601Seconds,
                    "reason": winner.reason,
                    "p_value": winner.pValue ?? NSNull(),
                    "applies": entry.steps.contains { $0.id == winner.step && $0.winner != nil },
                ]
            },
        ]
    }

    static func json(_ entries: [Entry]) -> String {
        TextOutput.json(entries.map { ["campaign": $0.campaign].merging(jsonObject($0)) { first, _ in first } })
    }

    static func csv(_ entries: [Entry]) -> String {
        var lines = [
            "campaign,step,variant,sent,unique_opens,open_rate,open_p_value,unique_clicks,click_rate,click_p_value,converted,conversion_rate,conversion_p_value,winner"
        ]
        func fraction(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "" }
        for entry in entries {
            for row in entry.report.rows {
                let won = entry.winners.contains {
                    $0.step == row.step && $0.variant == row.variant
                        && entry.steps.contains { $0.id == row.step && $0.winner != nil }
                }
                lines.append(
                    [
                        entry.campaign, row.step, row.variant, String(row.sent), String(row.opened),
                        fraction(row.openRate), fraction(row.openP),
                        String(row.clicked), fraction(row.clickRate), fraction(row.clickP), String(row.converted),
                        fraction(row.conversionRate),
                        fraction(row.conversionP), won ? "yes" : "",
                    ].map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
