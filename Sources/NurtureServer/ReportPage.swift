import Foundation
import Hummingbird
import NurtureCore

/// `/report`: per campaign, a funnel per step (sent → opened → clicked → converted,
/// and unsubscribed) as a table and as a chart drawn in inline SVG: no scripts.
struct ReportPage: Sendable {
    let store: any Store
    let loadCatalog: @Sendable () -> CampaignCatalog
    let auth: AdminAuth

    static let series: [(name: String, color: String, value: @Sendable (CampaignReport.StepRow) -> Int)] = [
        ("sent", "#3e4c59", { $0.sent }),
        ("opened", "#2186eb", { $0.uniqueOpens }),
        ("clicked", "#27ab83", { $0.uniqueClicks }),
        ("converted", "#f0b429", { $0.converted }),
        ("unsubscribed", "#e12d39", { $0.unsubscribed }),
    ]

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/report") { request, context in
            if let refusal = auth.refusal(for: request, context: context) { return refusal }
            let catalog = loadCatalog()
            var body = "<p><a href=\"/preview\">Preview</a></p><h1>Report</h1>"
            if catalog.campaigns.isEmpty { body += "<p>No valid campaigns. Run <code>nurture validate</code>.</p>" }
            for campaign in catalog.campaigns {
                let report = try await store.report(campaignID: campaign.id, stepOrder: campaign.steps.map(\.id)).followingRenames(in: campaign)
                body += section(campaign: campaign, report: report)
            }
            return Page.html(Page.document(title: "Report", body: body, style: Page.wideStyle))
        }
    }

    private func section(campaign: Campaign, report: CampaignReport) -> String {
        var out = "<section><h2>\(Page.escape(campaign.name)) <span class=\"note\">(\(Page.escape(campaign.id)))</span></h2>"
        out += "<p>\(report.summary)</p>"
        out += chart(report)
        out += "<table><thead><tr><th>step</th><th>sent</th><th>failed</th><th>bounced</th><th>opened</th><th>open rate</th>"
        out += "<th>clicked</th><th>click rate</th><th>converted</th><th>unsubscribed</th><th>machine opens</th><th>machine clicks</th></tr></thead><tbody>"
        for row in report.steps {
            let cells = [String(row.sent), String(row.failed), String(row.bounced), String(row.uniqueOpens), CampaignReport.percent(row.openRate),
                         String(row.uniqueClicks), CampaignReport.percent(row.clickRate), String(row.converted), String(row.unsubscribed),
                         String(row.machineOpens), String(row.machineClicks)]
            out += "<tr><td>\(Page.escape(row.step))</td>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        return out + "</tbody></table></section>"
    }

    /// Grouped bars, one group per step, scaled to the largest count.
    func chart(_ report: CampaignReport) -> String {
        let barWidth = 14
        let gap = 24
        let groupWidth = Self.series.count * barWidth + gap
        let height = 160
        let top = 10
        let bottom = 40
        let width = max(300, report.steps.count * groupWidth + 40)
        let largest = max(1, report.steps.map { row in Self.series.map { $0.value(row) }.max() ?? 0 }.max() ?? 1)
        var svg = "<svg class=\"chart\" role=\"img\" aria-label=\"Funnel per step\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height + top + bottom + 20)\" viewBox=\"0 0 \(width) \(height + top + bottom + 20)\">"
        svg += "<line x1=\"20\" y1=\"\(top + height)\" x2=\"\(width - 10)\" y2=\"\(top + height)\" stroke=\"#9aa5b1\"/>"
        for (index, row) in report.steps.enumerated() {
            let x0 = 30 + index * groupWidth
            for (offset, series) in Self.series.enumerated() {
                let value = series.value(row)
                let barHeight = Int((Double(value) / Double(largest) * Double(height)).rounded())
                svg += "<rect x=\"\(x0 + offset * barWidth)\" y=\"\(top + height - barHeight)\" width=\"\(barWidth - 2)\" height=\"\(barHeight)\" fill=\"\(series.color)\">"
                svg += "<title>\(Page.escape(row.step)) \(series.name): \(value)</title></rect>"
            }
            svg += "<text x=\"\(x0)\" y=\"\(top + height + 16)\" font-size=\"12\" fill=\"#1f2933\">\(Page.escape(row.step))</text>"
        }
        for (offset, series) in Self.series.enumerated() {
            let x = 20 + offset * 100
            svg += "<rect x=\"\(x)\" y=\"\(top + height + bottom)\" width=\"10\" height=\"10\" fill=\"\(series.color)\"/>"
            svg += "<text x=\"\(x + 14)\" y=\"\(top + height + bottom + 10)\" font-size=\"12\" fill=\"#1f2933\">\(series.name)</text>"
        }
        return svg + "</svg>"
    }

}
