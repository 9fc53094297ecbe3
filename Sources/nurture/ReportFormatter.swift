import Foundation
import NurtureCore

/// `nurture report`'s three formats.
enum ReportFormatter {
    /// Columns of the table and the CSV, with each row's cell (rates as fractions).
    static let stepColumns: [(name: String, table: String, value: @Sendable (CampaignReport.StepRow) -> Double, isRate: Bool)] = [
        ("sent", "sent", { Double($0.sent) }, false),
        ("failed", "failed", { Double($0.failed) }, false),
        ("bounced", "bounced", { Double($0.bounced) }, false),
        ("skipped", "skipped", { Double($0.skipped) }, false),
        ("retrying", "retrying", { Double($0.deferred) }, false),
        ("unknown", "unknown", { Double($0.unknown) }, false),
        ("unique_opens", "opened", { Double($0.uniqueOpens) }, false),
        ("open_rate", "open%", { $0.openRate }, true),
        ("unique_clicks", "clicked", { Double($0.uniqueClicks) }, false),
        ("click_rate", "click%", { $0.clickRate }, true),
        ("machine_opens", "m.opens", { Double($0.machineOpens) }, false),
        ("machine_clicks", "m.clicks", { Double($0.machineClicks) }, false),
        ("unsubscribed", "unsub", { Double($0.unsubscribed) }, false),
        ("converted", "convert", { Double($0.converted) }, false),
        ("step_conversion_rate", "conv%", { $0.conversionRate }, true),
    ]

    static func cell(_ column: (name: String, table: String, value: @Sendable (CampaignReport.StepRow) -> Double, isRate: Bool), _ row: CampaignReport.StepRow) -> String {
        column.isRate ? percent(column.value(row)) : String(Int(column.value(row)))
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    static func table(_ reports: [CampaignReport]) -> String {
        var out = ""
        for report in reports {
            out += "\(report.campaignID): \(report.enrolled) enrolled, \(report.active) active, \(report.completed) completed, "
            out += "\(report.exited) exited, \(report.converted) converted (\(percent(report.conversionRate))), \(report.unsubscribed) unsubscribed\n"
            let width = max(4, report.steps.map(\.step.count).max() ?? 4)
            out += "  " + "step".padding(toLength: width, withPad: " ", startingAt: 0)
            out += stepColumns.map { "  " + String(repeating: " ", count: max(0, 8 - $0.table.count)) + $0.table }.joined() + "\n"
            for row in report.steps {
                out += "  " + row.step.padding(toLength: width, withPad: " ", startingAt: 0)
                out += stepColumns.map { column in
                    let text = cell(column, row)
                    return "  " + String(repeating: " ", count: max(0, 8 - text.count)) + text
                }.joined() + "\n"
            }
            out += "  (opened/clicked: messages a person opened or clicked; m.: requests by machines, not counted in the rates)\n"
        }
        return out
    }

    static func json(_ reports: [CampaignReport]) -> String {
        let objects: [[String: Any]] = reports.map { report in
            [
                "campaign": report.campaignID, "enrolled": report.enrolled, "active": report.active, "completed": report.completed,
                "exited": report.exited, "converted": report.converted, "conversion_rate": report.conversionRate,
                "unsubscribed": report.unsubscribed,
                "steps": report.steps.map { row in
                    ["step": row.step, "sent": row.sent, "failed": row.failed, "bounced": row.bounced, "skipped": row.skipped,
                     "retrying": row.deferred, "unknown": row.unknown,
                     "unique_opens": row.uniqueOpens, "open_rate": row.openRate, "total_opens": row.totalOpens,
                     "unique_clicks": row.uniqueClicks, "click_rate": row.clickRate, "total_clicks": row.totalClicks,
                     "machine_opens": row.machineOpens, "machine_clicks": row.machineClicks,
                     "unsubscribed": row.unsubscribed, "converted": row.converted, "conversion_rate": row.conversionRate] as [String: Any]
                },
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func csv(_ reports: [CampaignReport]) -> String {
        var lines = [(["campaign", "step"] + stepColumns.map(\.name) + ["campaign_enrolled", "campaign_converted", "campaign_conversion_rate", "campaign_unsubscribed"]).joined(separator: ",")]
        for report in reports {
            for row in report.steps {
                let cells = [report.campaignID, row.step] + stepColumns.map { $0.isRate ? String(format: "%.4f", $0.value(row)) : String(Int($0.value(row))) }
                    + [String(report.enrolled), String(report.converted), String(format: "%.4f", report.conversionRate), String(report.unsubscribed)]
                lines.append(cells.map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
