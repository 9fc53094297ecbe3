import ArgumentParser
import Foundation
import NurtureCore

/// `nurture leads list`: who is in the store, to look at or hand to sales.
struct LeadsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List leads (email, name, status, score, tags, created), filtered.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only leads with this tag.") var tag: String?
    @Option(help: "Only leads with this status: active, unsubscribed, bounced or complained.") var status: String?
    @Option(help: "Only leads enrolled in this campaign.") var campaign: String?
    @Option(name: .customLong("min-score"), help: "Only leads with at least this score (fit + engagement).")
    var minScore: Int?
    @Option(help: "Only leads that reached this lifecycle stage (or a later one).") var stage: String?
    @Option(help: ArgumentHelp("Take scores at this time (default: now).", valueName: "time")) var now: TimeArgument?
    @Option(help: "table (for people), json or csv (for tools).") var format: Format = .table
    @Option(
        help: ArgumentHelp(
            "The columns, comma-separated: email, first_name, last_name, name, status, timezone, tags, created, score, fit, engagement, stage (the furthest reached), source, medium, campaign (first touch), suppressed (the suppression-list entry that covers it), or any attribute by name.",
            valueName: "list")) var columns: String?

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func validate() throws {
        if let status, LeadStatus(rawValue: status) == nil {
            throw ValidationError("--status is active, unsubscribed, bounced or complained, not '\(status)'")
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        let store = try await project.openStore()
        let rules = project.settings.scoreRules
        let time = now?.date ?? Date()
        var stages: [String]?
        if let stage {
            let known = project.settings.stageRules
            guard known.ids.contains(stage) else {
                throw UserError(
                    "no stage '\(stage)' in nurture.yml; \(known.isEmpty ? "it defines no stages" : "stages: \(known.ids.joined(separator: ", "))")"
                )
            }
            stages = known.atOrAfter(stage)
        }
        let filter = LeadFilter(
            tag: tag, status: status.flatMap(LeadStatus.init(rawValue:)), campaign: campaign, stages: stages)
        let chosen = try columns.map(LeadColumn.parse)
        let stageOrder = project.settings.stageRules.ids
        let readsStages = chosen?.contains(.stage) == true
        let readsSuppression = chosen?.contains(.suppressed) == true
        switch format {
        case .csv:
            print(
                (chosen?.map(\.header) ?? ["email", "first_name", "last_name", "status", "score", "tags", "created_at"])
                    .joined(separator: ","))
        case .json: print("[", terminator: "")
        case .table: print(chosen?.map(\.header).joined(separator: "  ") ?? "email  name  status  score  tags  created")
        }
        // Pages of 1,000 by id: any number of leads in bounded memory.
        var after: Int64 = 0
        var first = true
        var count = 0
        while true {
            var page = try await store.leads(matching: filter, after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.id ?? after
            // A score depends on the time and the rules, so it is worked out here, from what
            // each lead did, a page at a time.
            let evidence = try await store.scoreEvidence(leadIDs: page.compactMap(\.id), events: rules.scoredEvents)
            for index in page.indices {
                page[index].score = rules.score(
                    of: page[index], evidence: page[index].id.flatMap { evidence[$0] } ?? [], at: time)
            }
            let reached = readsStages ? try await store.stages(ofLeads: page.compactMap(\.id)) : [:]
            let suppressed =
                readsSuppression
                ? try await store.suppressionEntries(for: page.map { $0.email.address.lowercased() }) : [:]
            for lead in page where minScore.map({ lead.score.total >= Double($0) }) ?? true {
                if let chosen {
                    let facts = LeadColumn.Facts(
                        stage: lead.id.flatMap { reached[$0] }.flatMap { StageRules.ordered($0, by: stageOrder).last },
                        suppressedBy: suppressed[lead.email.address.lowercased()])
                    try print(
                        Self.row(lead, columns: chosen, facts: facts, format: format, first: first),
                        terminator: format == .json ? "" : "\n")
                    first = false
                    count += 1
                    continue
                }
                let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
                let created = lead.createdAt.map(LeadDescription.timestamp) ?? ""
                let tags = lead.tags.sorted()
                switch format {
                case .csv:
                    let cells = [
                        lead.email.address, lead.firstName ?? "", lead.lastName ?? "", lead.status.rawValue,
                        lead.score.totalText,
                        tags.joined(separator: ";"), created,
                    ]
                    print(cells.map(CSVCell.escape).joined(separator: ","))
                case .json:
                    let data = try JSONSerialization.data(
                        withJSONObject: LeadDescription.jsonFields(lead),
                        options: [.sortedKeys, .withoutEscapingSlashes])
                    print((first ? "\n  " : ",\n  ") + String(decoding: data, as: UTF8.self), terminator: "")
                case .table:
                    print(
                        Terminal.escapingControls(
                            "\(lead.email)  \(name.isEmpty ? "-" : name)  \(lead.status.rawValue)  \(lead.score.totalText)  \(tags.isEmpty ? "-" : tags.joined(separator: ","))  \(created)"
                        ))
                }
                first = false
                count += 1
            }
        }
        switch format {
        case .json: print(first ? "]" : "\n]")
        case .table: Terminal.writeError("\(count) lead\(count == 1 ? "" : "s")\n")
        case .csv: break
        }
    }

    /// One lead as a row of the chosen columns.
    static func row(_ lead: Lead, columns: [LeadColumn], facts: LeadColumn.Facts, format: Format, first: Bool) throws
        -> String
    {
        switch format {
        case .csv:
            return columns.map { CSVCell.escape($0.text(of: lead, facts: facts)) }.joined(separator: ",")
        case .table:
            return Terminal.escapingControls(
                columns.map { column in
                    let text = column.text(of: lead, facts: facts)
                    return text.isEmpty ? "-" : text
                }.joined(separator: "  "))
        case .json:
            let object = Dictionary(
                columns.map { ($0.header, $0.json(of: lead, facts: facts)) }, uniquingKeysWith: { first, _ in first })
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            return (first ? "\n  " : ",\n  ") + String(decoding: data, as: UTF8.self)
        }
    }
}
