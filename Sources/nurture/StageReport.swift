import Foundation
import NurtureCore

/// The text, JSON and CSV of `report --by stage`.
enum StageReport {
    static func table(_ funnel: StageFunnel) -> String {
        let width = max("(all leads)".count, funnel.rows.map(\.stage.count).max() ?? 0) + 2
        func pad(_ text: String) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        var lines = [pad("stage") + "leads     from previous", pad("(all leads)") + "\(funnel.totalLeads)"]
        for row in funnel.rows {
            lines.append(
                pad(row.stage) + String(row.leads).padding(toLength: 10, withPad: " ", startingAt: 0)
                    + CampaignReport.percent(row.rateFromPrevious))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ funnel: StageFunnel) -> String {
        let object: [String: Any] = [
            "total_leads": funnel.totalLeads,
            "stages": funnel.rows.map {
                ["stage": $0.stage, "leads": $0.leads, "rate_from_previous": $0.rateFromPrevious ?? NSNull()]
                    as [String: Any]
            },
        ]
        return TextOutput.json(object)
    }

    static func csv(_ funnel: StageFunnel) -> String {
        (["stage,leads,rate_from_previous"]
            + funnel.rows.map {
                "\(CSVCell.escape($0.stage)),\($0.leads),\($0.rateFromPrevious.map { String(format: "%.4f", $0) } ?? "")"
            })
            .joined(separator: "\n") + "\n"
    }
}
