import Foundation
import Hummingbird
import NurtureCore

/// `/report`: per campaign a dashboard of the same numbers as `nurture report`: the
/// funnel per step as a chart and a table with every column of the command, the mail of
/// each period (day, week or month) as a chart and a table, the A/B variants with their
/// tests, and the links; then leads by source. Server-rendered SVG, no scripts.
struct ReportPage: Sendable {
    let store: any Store
    let loadCatalog: @Sendable () -> CampaignCatalog
    let auth: AdminAuth
    let timeZone: TimeZone
    let scoreRules: ScoreRules
    let stageRules: StageRules
    let now: @Sendable () -> Date

    static let funnelSeries: [(series: ReportCharts.Series, value: @Sendable (CampaignReport.StepRow) -> Int)] = [
        (.init(name: "sent", color: "#3e4c59"), { $0.sent }),
        (.init(name: "opened", color: "#2186eb"), { $0.uniqueOpens }),
        (.init(name: "clicked", color: "#27ab83"), { $0.uniqueClicks }),
        (.init(name: "converted", color: "#f0b429"), { $0.converted }),
        (.init(name: "unsubscribed", color: "#e12d39"), { $0.unsubscribed }),
    ]

    static let periodSeries: [(series: ReportCharts.Series, value: @Sendable (PeriodReport.Row) -> Int)] = [
        (.init(name: "sent", color: "#3e4c59"), { $0.sent }),
        (.init(name: "opened", color: "#2186eb"), { $0.opened }),
        (.init(name: "clicked", color: "#27ab83"), { $0.clicked }),
        (.init(name: "converted", color: "#f0b429"), { $0.converted }),
    ]

    /// How many periods the chart shows (the latest); the table below has them all.
    static let chartedPeriods = 12

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/report") { request, context in
            if let refusal = auth.refusal(for: request, context: context) { return refusal }
            let granularity =
                request.uri.queryParameters.get("by").flatMap(PeriodReport.Granularity.init(rawValue:)) ?? .week
            return Page.html(
                Page.document(
                    title: "Report", body: try await page(granularity), style: Page.wideStyle + ReportTable.style))
        }
    }

    private func page(_ granularity: PeriodReport.Granularity) async throws -> String {
        let catalog = loadCatalog()
        var body = "<p><a href=\"/preview\">Preview</a></p><h1>Report</h1>"
        body +=
            "<nav class=\"periods\">Over time by: "
            + PeriodReport.Granularity.allCases.map { option in
                option == granularity
                    ? "<strong>\(option.rawValue)</strong>"
                    : "<a href=\"/report?by=\(option.rawValue)\">\(option.rawValue)</a>"
            }.joined() + "<span class=\"note\">(\(Page.escape(timeZone.identifier)))</span></nav>"
        if catalog.campaigns.isEmpty { body += "<p>No valid campaigns. Run <code>nurture validate</code>.</p>" }
        let winners = try await store.variantWinners()
        for campaign in catalog.campaigns {
            body += try await section(
                campaign, granularity: granularity, winners: winners.filter { $0.campaignID == campaign.id })
        }
        return body + (try await sources())
    }

    private func section(_ campaign: Campaign, granularity: PeriodReport.Granularity, winners: [VariantWinner])
        async throws -> String
    {
        let stepOrder = campaign.steps.map(\.id)
        let report = try await store.report(campaignID: campaign.id, stepOrder: stepOrder).followingRenames(
            in: campaign)
        let messages = try await store.sentMessages(campaignID: campaign.id)
        var out =
            "<section class=\"campaign\"><h2>\(Page.escape(campaign.name)) <span class=\"note\">(\(Page.escape(campaign.id)))</span></h2>"
        out += "<p class=\"summary\">\(Page.escape(report.summary))</p>"
        for line in report.heldLines { out += "<p class=\"held\">\(Page.escape(line))</p>" }

        out += "<h3>Funnel per step</h3>"
        out += ReportCharts.funnel(
            report.steps.map { row in
                ReportCharts.Group(
                    label: row.step, bars: Self.funnelSeries.map { .init(series: $0.series, value: $0.value(row)) })
            },
            label: "Funnel per step of \(campaign.name)", axisTitle: "messages (opened, clicked: by a person)")
        out += ReportCharts.legend(Self.funnelSeries.map(\.series))
        out += stepTable(report)
        let inbound = inboundTable(report)
        if !inbound.isEmpty { out += "<h3>What came back (nurture inbound)</h3>" + inbound }

        let periods = PeriodReport(messages: messages, stepOrder: stepOrder, granularity: granularity, zone: timeZone)
        out += "<h3>Over time, by \(granularity.rawValue)</h3>"
        if periods.rows.isEmpty {
            out += "<p class=\"note\">Nothing sent yet.</p>"
        } else {
            let totals = Dictionary(grouping: periods.rows, by: \.period).sorted { $0.key < $1.key }.suffix(
                Self.chartedPeriods)
            out += ReportCharts.columns(
                totals.map { period, rows in
                    ReportCharts.Group(
                        label: granularity == .month ? String(period.prefix(7)) : String(period.dropFirst(5)),
                        bars: Self.periodSeries.map { series in
                            .init(series: series.series, value: rows.reduce(0) { $0 + series.value($1) })
                        })
                }, label: "Messages per \(granularity.rawValue) of \(campaign.name)")
            out += ReportCharts.legend(Self.periodSeries.map(\.series))
            out +=
                "<p class=\"note\">Each \(granularity.rawValue)'s mail, wherever its opens and clicks came: the \(granularity == .month ? "month" : "first day") under each group; the latest \(Self.chartedPeriods) at most.</p>"
            out +=
                "<details><summary>Per step and \(granularity.rawValue)</summary>" + periodTable(periods) + "</details>"
        }

        if campaign.steps.contains(where: { !$0.variants.isEmpty }) || !winners.isEmpty {
            let variants = VariantReport(messages: messages, steps: campaign.steps)
            out += "<h3>A/B variants</h3>" + variantTable(variants)
            for line in variants.testStates(steps: campaign.steps, winners: winners) {
                out += "<p class=\"test\">\(Page.escape(line))</p>"
            }
            out +=
                "<p class=\"note\">p: a two-proportion test against the step's first variant; below 0.05 is a difference at 95%.</p>"
        }

        let links = LinkTally.ordered(try await store.linkTallies(campaignID: campaign.id), stepOrder: stepOrder)
        out += "<h3>Links</h3>"
        out +=
            links.isEmpty
            ? "<p class=\"note\">No clicks yet.</p>"
            : ReportTable(
                className: "links",
                columns: [
                    .init("step", numeric: false), .init("link"), .init("url", numeric: false, wraps: true),
                    .init("people"), .init("clicks"), .init("machines"),
                ],
                rows: links.map {
                    [
                        $0.step + ($0.variant.map { " (\($0))" } ?? ""), $0.label, $0.url, String($0.uniqueHumanClicks),
                        String($0.humanClicks), String($0.machineClicks),
                    ]
                }
            ).html
        return out + "</section>"
    }

    /// Every column `nurture report` has, in its order.
    private func stepTable(_ report: CampaignReport) -> String {
        ReportTable(
            className: "steps wide",
            columns: [.init("step", numeric: false)]
                + ["sent", "failed", "bounced", "skipped", "retrying", "unknown", "opened"].map { .init($0) }
                + [
                    .init("open rate", heading: "open %"), .init("clicked"), .init("click rate", heading: "click %"),
                    .init("machine opens", heading: "m. opens"), .init("machine clicks", heading: "m. clicks"),
                    .init("unsubscribed", heading: "unsub."), .init("converted", heading: "conv."),
                    .init("conversion rate", heading: "conv. %"),
                ],
            rows: report.steps.map { row in
                [row.step]
                    + [row.sent, row.failed, row.bounced, row.skipped, row.deferred, row.unknown, row.uniqueOpens].map(
                        String.init)
                    + [
                        CampaignReport.percent(row.openRate), String(row.uniqueClicks),
                        CampaignReport.percent(row.clickRate),
                    ]
                    + [row.machineOpens, row.machineClicks, row.unsubscribed, row.converted].map(String.init) + [
                        CampaignReport.percent(row.conversionRate)
                    ]
            }
        ).html
    }

    /// What came back about each step's messages (`nurture inbound`), when anything did:
    /// a table of its own, so the step table keeps to a laptop's width.
    private func inboundTable(_ report: CampaignReport) -> String {
        let rows = report.steps.filter { $0.hardBounces + $0.softBounces + $0.complaints + $0.replies > 0 }
        guard !rows.isEmpty else { return "" }
        return ReportTable(
            className: "steps",
            columns: [.init("step", numeric: false)] + [
                .init("bounced hard", heading: "hard bounces"), .init("bounced soft", heading: "soft bounces"),
                .init("complained", heading: "complaints"), .init("replied", heading: "replies"),
            ],
            rows: rows.map { row in
                [row.step] + [row.hardBounces, row.softBounces, row.complaints, row.replies].map(String.init)
            }
        ).html
    }

    private func periodTable(_ periods: PeriodReport) -> String {
        ReportTable(
            className: "periods",
            columns: [.init("period", numeric: false), .init("step", numeric: false)]
                + [
                    .init("sent"), .init("opened"), .init("open rate", heading: "open %"), .init("clicked"),
                    .init("click rate", heading: "click %"),
                    .init("unsubscribed", heading: "unsub."), .init("unsubscribe rate", heading: "unsub. %"),
                    .init("converted", heading: "conv."),
                    .init("conversion rate", heading: "conv. %"),
                ],
            rows: periods.rows.reversed().map { row in
                [
                    row.period, row.step, String(row.sent), String(row.opened), CampaignReport.percent(row.openRate),
                    String(row.clicked), CampaignReport.percent(row.clickRate),
                    String(row.unsubscribed), CampaignReport.percent(row.unsubscribeRate), String(row.converted),
                    CampaignReport.percent(row.conversionRate),
                ]
            }
        ).html
    }

    private func variantTable(_ variants: VariantReport) -> String {
        ReportTable(
            className: "variants",
            columns: [.init("step", numeric: false), .init("variant", numeric: false)]
                + [
                    .init("sent"), .init("opened"), .init("open rate", heading: "open %"), .init("p (opens)"),
                    .init("clicked"),
                    .init("click rate", heading: "click %"), .init("p (clicks)"), .init("converted", heading: "conv."),
                    .init("conversion rate", heading: "conv. %"), .init("p (conversions)", heading: "p (conv.)"),
                ],
            rows: variants.rows.map { row in
                let sent = row.sent > 0
                return [
                    row.step, row.variant, String(row.sent), String(row.opened),
                    CampaignReport.percent(sent ? row.openRate : nil), ReportTable.pValue(row.openP),
                    String(row.clicked), CampaignReport.percent(sent ? row.clickRate : nil),
                    ReportTable.pValue(row.clickP),
                    String(row.converted), CampaignReport.percent(sent ? row.conversionRate : nil),
                    ReportTable.pValue(row.conversionP),
                ]
            }
        ).html
    }

    /// Leads by source (first touch), all time, as `report --by source` without costs.
    private func sources() async throws -> String {
        var builder = SourceAnalysis.Builder()
        try await builder.addLeads(from: store, capturedFrom: nil, before: nil, scoreRules: scoreRules, now: now())
        let analysis = builder.finish(costs: nil)
        var out = "<section class=\"sources\"><h2>Leads by source</h2>"
        guard !analysis.rows.isEmpty else { return out + "<p class=\"note\">No leads yet.</p></section>" }
        let stages = stageRules.ids
        var rows: [[String]] = []
        var indented: Set<Int> = []
        for row in analysis.rows {
            rows.append([row.source?.source ?? "(none)"] + row.cells(stages: stages))
            for touch in row.breakdown {
                indented.insert(rows.count)
                rows.append(
                    ["\(touch.source?.medium ?? "-") / \(touch.source?.campaign ?? "-")"] + touch.cells(stages: stages))
            }
        }
        out +=
            ReportTable(
                className: "sources",
                columns: [.init("source", numeric: false), .init("leads")] + stages.map { .init($0) }
                    + [
                        .init("converted"), .init("conversion rate", heading: "conv. %"),
                        .init("average score", heading: "avg. score"),
                        .init("average fit", heading: "avg. fit"),
                    ],
                rows: rows, indented: indented
            ).html
        out +=
            "<p class=\"note\">Where each lead first came from; a source split by medium and campaign is broken down under it. Costs: <code>nurture report --by source --costs FILE</code>.</p>"
        return out + "</section>"
    }
}
