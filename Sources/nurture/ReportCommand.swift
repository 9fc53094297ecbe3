import ArgumentParser
import Foundation
import NurtureCore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Per campaign and step: sent, failed, bounced, opens, clicks, unsubscribes and conversions.",
        discussion: """
            Opens and clicks count messages a person opened or clicked (unique); rates are per
            message sent. Requests classified as machines (privacy proxies, link scanners,
            prefetch, the first seconds after delivery) are counted apart and left out of the
            rates. A conversion is credited to the last step sent before the goal event.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "One campaign id (default: all).") var campaign: String?
    @Option(help: "table for people, json or csv for tools.") var format: Format = .table
    @Option(
        help: """
            stage: how many leads reached each lifecycle stage (nurture.yml's stages), and the rate between stages; \
            source: leads by where they came from (first touch), and how many reached each stage; \
            day, week or month: per step and period (in nurture.yml's timezone) sent, opens, clicks, unsubscribes, conversions and rates.
            """)
    var by: Grouping?
    @Flag(help: "Per step and link: people who clicked it, their clicks, and machines' clicks.") var links = false
    @Flag(
        help:
            "Only the A/B variants: per step and variant sent, open, click and conversion rates, p-values, and winners."
    ) var variants = false
    @Option(
        help: ArgumentHelp(
            "With --by source: leads captured on or after this day (in nurture.yml's timezone).",
            valueName: "YYYY-MM-DD"))
    var since: String?
    @Option(help: ArgumentHelp("With --by source: leads captured on or before this day.", valueName: "YYYY-MM-DD"))
    var until: String?
    @Option(
        help: ArgumentHelp("With --by source: what each source cost (source,amount[,month]).", valueName: "costs.csv"))
    var costs: String?

    enum Grouping: String, ExpressibleByArgument, CaseIterable {
        case stage, source, day, week, month
    }

    func run() async throws {
        let project = try Project(options: global)
        if by == .stage {
            let stages = project.settings.stageRules
            guard !stages.isEmpty else {
                throw UserError("nurture.yml defines no stages (see 'stages:' in the README)")
            }
            let store = try await project.openStore()
            let funnel = StageFunnel(
                stages: stages.ids, counts: try await store.stageCounts(), totalLeads: try await store.leadCount())
            switch format {
            case .table: print(StageReport.table(funnel), terminator: "")
            case .json: print(StageReport.json(funnel))
            case .csv: print(StageReport.csv(funnel), terminator: "")
            }
            return
        }
        if by == .source {
            try await reportBySource(project)
            return
        }
        let catalog = project.loadCatalog()
        var ids = catalog.campaigns.map(\.id)
        if let campaign {
            guard ids.contains(campaign) else {
                throw UserError(
                    "no campaign '\(campaign)'; \(Suggestion.didYouMean(campaign, among: ids))campaigns: \(ids.joined(separator: ", "))"
                )
            }
            ids = [campaign]
        }
        let store = try await project.openStore()
        if let by, let granularity = PeriodReport.Granularity(rawValue: by.rawValue) {
            let zoneName = project.settings.defaultTimeZone
            let zone = TimeZone(identifier: zoneName) ?? .gmt
            var reports: [PeriodReportFormatter.Report] = []
            for id in ids {
                let steps = catalog.campaign(id)?.steps.map(\.id) ?? []
                reports.append(
                    (
                        id,
                        PeriodReport(
                            messages: try await store.sentMessages(campaignID: id), stepOrder: steps,
                            granularity: granularity, zone: zone)
                    ))
            }
            switch format {
            case .table:
                print(
                    Terminal.escapingControls(
                        PeriodReportFormatter.table(reports, granularity: granularity, zone: zoneName)), terminator: "")
            case .json: print(PeriodReportFormatter.json(reports, granularity: granularity, zone: zoneName))
            case .csv: print(PeriodReportFormatter.csv(reports), terminator: "")
            }
            return
        }
        if links {
            var reports: [(campaign: String, links: [LinkTally])] = []
            for id in ids {
                let steps = catalog.campaign(id)?.steps.map(\.id) ?? []
                reports.append((id, LinkTally.ordered(try await store.linkTallies(campaignID: id), stepOrder: steps)))
            }
            switch format {
            case .table: print(Terminal.escapingControls(LinkReport.table(reports)), terminator: "")
            case .json: print(LinkReport.json(reports))
            case .csv: print(LinkReport.csv(reports), terminator: "")
            }
            return
        }
        let winners = try await store.variantWinners()
        var variantEntries: [VariantReportFormatter.Entry] = []
        for id in ids {
            let steps = catalog.campaign(id)?.steps ?? []
            // Only campaigns that test something read their messages.
            let recorded = winners.filter { $0.campaignID == id }
            guard variants || steps.contains(where: { !$0.variants.isEmpty }) || !recorded.isEmpty else { continue }
            variantEntries.append(
                .init(
                    campaign: id, steps: steps,
                    report: VariantReport(messages: try await store.sentMessages(campaignID: id), steps: steps),
                    winners: recorded))
        }
        if variants {
            switch format {
            case .table: print(Terminal.escapingControls(VariantReportFormatter.table(variantEntries)), terminator: "")
            case .json: print(VariantReportFormatter.json(variantEntries))
            case .csv: print(VariantReportFormatter.csv(variantEntries), terminator: "")
            }
            return
        }
        var reports: [CampaignReport] = []
        for id in ids {
            let report = try await store.report(campaignID: id, stepOrder: catalog.campaign(id)?.steps.map(\.id) ?? [])
            reports.append(catalog.campaign(id).map { report.followingRenames(in: $0) } ?? report)
        }
        switch format {
        case .table:
            print(
                ReportFormatter.table(reports)
                    + Terminal.escapingControls(VariantReportFormatter.table(variantEntries)), terminator: "")
        case .json: print(ReportFormatter.json(reports, variants: variantEntries))
        case .csv: print(ReportFormatter.csv(reports), terminator: "")
        }
    }
}
