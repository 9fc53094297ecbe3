import Foundation
import NurtureCore

/// `nurture report`'s three formats.
enum ReportFormatter {
    static let stepColumns = ["sent", "failed", "bounced", "skipped", "retrying", "unknown"]

    static func counts(_ row: CampaignReport.StepRow) -> [Int] {
        [row.sent, row.failed, row.bounced, row.skipped, row.deferred, row.unknown]
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

    static func table(_ reports: [CampaignReport]) -> String {
        var out = ""
        for report in reports {
            out += "\(report.campaignID): \(report.enrolled) enrolled, \(report.active) active, \(report.completed) completed, "
            out += "\(report.exited) exited, \(report.converted) converted (\(percent(report.conversionRate))), \(report.unsubscribed) unsubscribed\n"
            let width = max(4, report.steps.map(\.step.count).max() ?? 4)
            out += "  " + "step".padding(toLength: width, withPad: " ", startingAt: 0)
            out += stepColumns.map { "  " + String(repeating: " ", count: max(0, 8 - $0.count)) + $0 }.joined() + "\n"
            for row in report.steps {
                out += "  " + row.step.padding(toLength: width, withPad: " ", startingAt: 0)
                out += counts(row).map { value in
                    let text = String(value)
                    return "  " + String(repeating: " ", count: max(0, 8 - text.count)) + text
                }.joined() + "\n"
            }
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
                     "retrying": row.deferred, "unknown": row.unknown] as [String: Any]
                },
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func csv(_ reports: [CampaignReport]) -> String {
        var lines = [(["campaign", "step"] + stepColumns + ["enrolled", "converted", "conversion_rate", "unsubscribed"]).joined(separator: ",")]
        for report in reports {
            for row in report.steps {
                let cells = [report.campaignID, row.step] + counts(row).map(String.init)
                    + [String(report.enrolled), String(report.converted), String(format: "%.4f", report.conversionRate), String(report.unsubscribed)]
                lines.append(cells.map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
