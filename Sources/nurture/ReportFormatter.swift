import Foundation
import NurtureCore

/// `nurture report`'s three formats.
enum ReportFormatter {
    /// A per-step column: its CSV name, its table heading, and its value (rates as fractions).
    struct Column: Sendable {
        var name: String
        var table: String
        var value: @Sendable (CampaignReport.StepRow) -> Double
        var isRate: Bool

        init(
            _ name: String, _ table: String, _ value: @escaping @Sendable (CampaignReport.StepRow) -> Double,
            _ isRate: Bool
        ) {
            self.name = name
            self.table = table
            self.value = value
            self.isRate = isRate
        }

        /// For the table: rates as percentages.
        func tableCell(_ row: CampaignReport.StepRow) -> String {
            isRate ? CampaignReport.percent(value(row)) : String(Int(value(row)))
        }
        /// For the CSV: rates as fractions.
        func csvCell(_ row: CampaignReport.StepRow) -> String {
            isRate ? String(format: "%.4f", value(row)) : String(Int(value(row)))
        }
    }

    static let stepColumns: [Column] = [
        Column("sent", "sent", { Double($0.sent) }, false),
        Column("failed", "failed", { Double($0.failed) }, false),
        Column("bounced", "bounced", { Double($0.bounced) }, false),
        Column("skipped", "skipped", { Double($0.skipped) }, false),
        Column("retrying", "retrying", { Double($0.deferred) }, false),
        Column("unknown", "unknown", { Double($0.unknown) }, false),
        Column("unique_opens", "opened", { Double($0.uniqueOpens) }, false),
        Column("open_rate", "open%", { $0.openRate }, true),
        Column("unique_clicks", "clicked", { Double($0.uniqueClicks) }, false),
        Column("click_rate", "click%", { $0.clickRate }, true),
        Column("machine_opens", "m.opens", { Double($0.machineOpens) }, false),
        Column("machine_clicks", "m.clicks", { Double($0.machineClicks) }, false),
        Column("unsubscribed", "unsub", { Double($0.unsubscribed) }, false),
        Column("converted", "convert", { Double($0.converted) }, false),
        Column("step_conversion_rate", "conv%", { $0.conversionRate }, true),
        Column("bounced_hard", "hard", { Double($0.hardBounces) }, false),
        Column("bounced_soft", "soft", { Double($0.softBounces) }, false),
        Column("complained", "compl", { Double($0.complaints) }, false),
        Column("replied", "replied", { Double($0.replies) }, false),
    ]

    static func table(_ reports: [CampaignReport]) -> String {
        var out = ""
        for report in reports {
            out += "\(report.campaignID): \(report.summary)\n"
            let width = max(4, report.steps.map(\.step.count).max() ?? 4)
            out += "  " + "step".padding(toLength: width, withPad: " ", startingAt: 0)
            out +=
                stepColumns.map { "  " + String(repeating: " ", count: max(0, 8 - $0.table.count)) + $0.table }.joined()
                + "\n"
            for row in report.steps {
                out += "  " + row.step.padding(toLength: width, withPad: " ", startingAt: 0)
                out +=
                    stepColumns.map { column in
                        let text = column.tableCell(row)
                        return "  " + String(repeating: " ", count: max(0, 8 - text.count)) + text
                    }.joined() + "\n"
            }
            for line in report.heldLines { out += "  \(line)\n" }
            out +=
                "  (opened/clicked: messages a person opened or clicked; m.: requests by machines, not counted in the rates)\n"
        }
        return out
    }

    /// Campaigns with A/B variants also carry `variants` and `winners` (VariantReportFormatter).
    static func json(_ reports: [CampaignReport], variants: [VariantReportFormatter.Entry] = []) -> String {
        let objects: [[String: Any]] = reports.map { report in
            let tested =
                variants.first { $0.campaign == report.campaignID }.map(VariantReportFormatter.jsonObject) ?? [:]
            return [
                "campaign": report.campaignID, "enrolled": report.enrolled, "active": report.active,
                "completed": report.completed,
                "exited": report.exited, "converted": report.converted, "conversion_rate": report.conversionRate,
                "unsubscribed": report.unsubscribed,
                "held": report.held.map { ["step": $0.step, "reason": $0.reason, "leads": $0.leads] as [String: Any] },
                "steps": report.steps.map { row in
                    [
                        "step": row.step, "sent": row.sent, "failed": row.failed, "bounced": row.bounced,
                        "skipped": row.skipped,
                        "retrying": row.deferred, "unknown": row.unknown,
                        "unique_opens": row.uniqueOpens, "open_rate": row.openRate, "total_opens": row.totalOpens,
                        "unique_clicks": row.uniqueClicks, "click_rate": row.clickRate, "total_clicks": row.totalClicks,
                        "machine_opens": row.machineOpens, "machine_clicks": row.machineClicks,
                        "unsubscribed": row.unsubscribed, "converted": row.converted,
                        "bounced_hard": row.hardBounces, "bounced_soft": row.softBounces,
                        "complained": row.complaints, "replied": row.replies,
                        "conversion_rate": row.conversionRate,
                    ] as [String: Any]
                },
            ].merging(tested) { first, _ in first }
        }
        let data =
            (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys]))
            ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// One row per step: its counts, the leads whose message for it is held and why
    /// (`held_because`: each reason with its count, `; ` between), then the campaign's totals.
    static func csv(_ reports: [CampaignReport]) -> String {
        let heading =
            ["campaign", "step"] + stepColumns.map(\.name) + ["held", "held_because"]
            + ["campaign_enrolled", "campaign_converted", "campaign_conversion_rate", "campaign_unsubscribed"]
        var lines = [heading.joined(separator: ",")]
        for report in reports {
            for row in report.steps {
                let held = report.held.filter { $0.step == row.step }
                let cells =
                    [report.campaignID, row.step] + stepColumns.map { $0.csvCell(row) }
                    + [
                        String(held.map(\.leads).reduce(0, +)),
                        held.map { "\($0.reason) (\($0.leads))" }.joined(separator: "; "),
                    ]
                    + [
                        String(report.enrolled), String(report.converted),
                        String(format: "%.4f", report.conversionRate), String(report.unsubscribed),
                    ]
                lines.append(cells.map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
