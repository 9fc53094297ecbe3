import Foundation
import NurtureCore

/// The text, JSON and CSV of `report [CAMPAIGN] --by day|week|month`.
enum PeriodReportFormatter {
    typealias Report = (campaign: String, report: PeriodReport)

    static func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }

    static func table(_ reports: [Report], granularity: PeriodReport.Granularity, zone: String) -> String {
        var out = ""
        for (campaign, report) in reports {
            out += "\(campaign) by \(granularity.rawValue) (\(zone); messages counted in the period they were sent)\n"
            guard !report.rows.isEmpty else {
                out += "  nothing sent yet\n"
                continue
            }
            let header = ["period", "step", "sent", "opened", "open%", "clicked", "click%", "unsub", "unsub%", "convert", "conv%"]
            let rows = [header] + report.rows.map { row in
                [row.period, row.step, String(row.sent), String(row.opened), percent(row.openRate), String(row.clicked), percent(row.clickRate),
                 String(row.unsubscribed), percent(row.unsubscribeRate), String(row.converted), percent(row.conversionRate)]
            }
            let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                out += "  " + row.indices.map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
                    .trimmingCharacters(in: .whitespaces) + "\n"
            }
        }
        return out
    }

    static func json(_ reports: [Report], granularity: PeriodReport.Granularity, zone: String) -> String {
        let object = reports.map { campaign, report -> [String: Any] in
            ["campaign": campaign, "by": granularity.rawValue, "timezone": zone, "rows": report.rows.map { row -> [String: Any] in
                ["period": row.period, "step": row.step, "sent": row.sent, "opened": row.opened, "open_rate": row.openRate ?? NSNull(),
                 "clicked": row.clicked, "click_rate": row.clickRate ?? NSNull(), "unsubscribed": row.unsubscribed,
                 "unsubscribe_rate": row.unsubscribeRate ?? NSNull(), "converted": row.converted, "conversion_rate": row.conversionRate ?? NSNull()]
            }]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func csv(_ reports: [Report]) -> String {
        var lines = ["campaign,period,step,sent,opened,clicked,unsubscribed,converted"]
        for (campaign, report) in reports {
            for row in report.rows {
                lines.append([campaign, row.period, row.step, String(row.sent), String(row.opened), String(row.clicked), String(row.unsubscribed),
                              String(row.converted)].map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
