import Foundation
import NurtureCore

/// The text, JSON and CSV of `report [CAMPAIGN] --by day|week|month`.
enum PeriodReportFormatter {
    typealias Report = (campaign: String, report: PeriodReport)

    static func table(_ reports: [Report], granularity: PeriodReport.Granularity, zone: String) -> String {
        var out = ""
        for (campaign, report) in reports {
            out += "\(campaign) by \(granularity.rawValue) (\(zone); messages counted in the period they were sent)\n"
            guard !report.rows.isEmpty else {
                out += "  nothing sent yet\n"
                continue
            }
            let header = [
                "period", "step", "sent", "opened", "open%", "clicked", "click%", "unsub", "unsub%", "convert", "conv%",
            ]
            let rows =
                [header]
                + report.rows.map { row in
                    [
                        row.period, row.step, String(row.sent), String(row.opened),
                        CampaignReport.percent(row.openRate), String(row.clicked),
                        CampaignReport.percent(row.clickRate),
                        String(row.unsubscribed), CampaignReport.percent(row.unsubscribeRate), String(row.converted),
                        CampaignReport.percent(row.conversionRate),
                    ]
                }
            for line in TextOutput.table(rows) { out += "  " + line + "\n" }
        }
        return out
    }

    static func json(_ reports: [Report], granularity: PeriodReport.Granularity, zone: String) -> String {
        let object = reports.map { campaign, report -> [String: Any] in
            [
                "campaign": campaign, "by": granularity.rawValue, "timezone": zone,
                "rows": report.rows.map { row -> [String: Any] in
                    [
                        "period": row.period, "step": row.step, "sent": row.sent, "opened": row.opened,
                        "open_rate": row.openRate ?? NSNull(),
                        "clicked": row.clicked, "click_rate": row.clickRate ?? NSNull(),
                        "unsubscribed": row.unsubscribed,
                        "unsubscribe_rate": row.unsubscribeRate ?? NSNull(), "converted": row.converted,
                        "conversion_rate": row.conversionRate ?? NSNull(),
                    ]
                },
            ]
        }
        return TextOutput.json(object)
    }

    static func csv(_ reports: [Report]) -> String {
        var lines = ["campaign,period,step,sent,opened,clicked,unsubscribed,converted"]
        for (campaign, report) in reports {
            for row in report.rows {
                lines.append(
                    [
                        campaign, row.period, row.step, String(row.sent), String(row.opened), String(row.clicked),
                        String(row.unsubscribed),
                        String(row.converted),
                    ].map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
