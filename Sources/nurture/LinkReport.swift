import Foundation
import NurtureCore

/// The text, JSON and CSV of `report [CAMPAIGN] --links`.
enum LinkReport {
    static func table(_ reports: [(campaign: String, links: [LinkTally])]) -> String {
        var out = ""
        for report in reports {
            out += "\(report.campaign): \(report.links.isEmpty ? "no clicks yet" : "clicks by link")\n"
            guard !report.links.isEmpty else { continue }
            let rows =
                [["step", "link", "people", "clicks", "machines", "url"]]
                + report.links.map {
                    [
                        $0.step + ($0.variant.map { " (\($0))" } ?? ""), $0.label, String($0.uniqueHumanClicks),
                        String($0.humanClicks), String($0.machineClicks), $0.url,
                    ]
                }
            for line in TextOutput.table(rows) { out += "  " + line + "\n" }
        }
        return out
    }

    static func json(_ reports: [(campaign: String, links: [LinkTally])]) -> String {
        let object = reports.map { report -> [String: Any] in
            [
                "campaign": report.campaign,
                "links": report.links.map { link -> [String: Any] in
                    [
                        "step": link.step, "variant": link.variant ?? NSNull(), "part": link.part,
                        "position": link.number, "url": link.url,
                        "unique_human_clicks": link.uniqueHumanClicks, "human_clicks": link.humanClicks,
                        "machine_clicks": link.machineClicks,
                    ]
                },
            ]
        }
        return TextOutput.json(object)
    }

    static func csv(_ reports: [(campaign: String, links: [LinkTally])]) -> String {
        var lines = ["campaign,step,variant,part,position,url,unique_human_clicks,human_clicks,machine_clicks"]
        for report in reports {
            for link in report.links {
                lines.append(
                    [
                        report.campaign, link.step, link.variant ?? "", link.part, String(link.number), link.url,
                        String(link.uniqueHumanClicks), String(link.humanClicks),
                        String(link.machineClicks),
                    ].map(CSVCell.escape).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
