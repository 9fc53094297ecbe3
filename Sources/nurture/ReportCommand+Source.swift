import Foundation
import NurtureCore

extension ReportCommand {
    /// `report --by source`: every lead captured in the period, a page at a time, scored
    /// now, with its stages and whether it converted; then priced with `--costs`.
    func reportBySource(_ project: Project) async throws {
        let zone = TimeZone(identifier: project.settings.defaultTimeZone) ?? .gmt
        let from = try since.map { try Self.day($0, option: "--since", zone: zone) }
        let to = try until.map { try Self.day($0, option: "--until", zone: zone) }
        if let from, let to, from > to { throw UserError("--since \(since ?? "") is after --until \(until ?? "")") }
        var spend: [SourceCost]?
        if let costs {
            guard let data = FileManager.default.contents(atPath: costs), let text = String(data: data, encoding: .utf8) else {
                throw UserError("cannot read \(costs) as UTF-8 text")
            }
            do { spend = try SourceCost.parse(text) } catch { throw UserError("\(costs): \(error)") }
        }
        let store = try await project.openStore()
        let rules = project.settings.scoreRules
        let now = Date()
        var builder = SourceAnalysis.Builder()
        var after: Int64 = 0
        while true {
            let page = try await store.leads(matching: LeadFilter(), after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.id ?? after
            let captured = page.filter { lead in
                guard let created = lead.createdAt else { return from == nil && to == nil }
                return (from.map { created >= $0 } ?? true) && (to.map { created < $0.addingTimeInterval(86_400) } ?? true)
            }
            let ids = captured.compactMap(\.id)
            let evidence = try await store.scoreEvidence(leadIDs: ids, events: rules.scoredEvents)
            let stages = try await store.stages(ofLeads: ids)
            let converted = try await store.convertedLeads(among: ids)
            for lead in captured {
                let id = lead.id ?? 0
                builder.add(lead, score: rules.score(of: lead, evidence: evidence[id] ?? [], at: now), stages: stages[id] ?? [], converted: converted.contains(id))
            }
        }
        // Monthly spend counts when the period covers its month.
        var months: ClosedRange<String>?
        if from != nil || to != nil { months = (Self.month(from, zone: zone) ?? "0000-00")...(Self.month(to, zone: zone) ?? "9999-99") }
        let analysis = builder.finish(costs: spend, months: months)
        let stageIDs = project.settings.stageRules.ids
        switch format {
        case .table: print(Terminal.escapingControls(SourceReport.table(analysis, stages: stageIDs, priced: spend != nil)), terminator: "")
        case .json: print(SourceReport.json(analysis, priced: spend != nil))
        case .csv: print(SourceReport.csv(analysis, stages: stageIDs, priced: spend != nil), terminator: "")
        }
    }

    /// The start of `YYYY-MM-DD` in `zone`.
    static func day(_ text: String, option: String, zone: TimeZone) throws -> Date {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard parts.count == 3, text.count == 10, let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
            calendar.component(.day, from: date) == parts[2]
        else { throw UserError("\(option) takes a day like 2030-01-31, not '\(text)'") }
        return date
    }

    static func month(_ date: Date?, zone: TimeZone) -> String? {
        guard let date else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }
}
