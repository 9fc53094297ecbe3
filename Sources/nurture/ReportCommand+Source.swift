import Foundation
import NurtureCore

extension ReportCommand {
    /// `report --by source`: every lead captured in the period, scored now, with its
    /// stages and whether it converted; then priced with `--costs`.
    func reportBySource(_ project: Project) async throws {
        let zone = TimeZone(identifier: project.settings.defaultTimeZone) ?? .gmt
        let firstDay = try since.map { try Self.day($0, option: "--since") }
        let lastDay = try until.map { try Self.day($0, option: "--until") }
        if let firstDay, let lastDay, firstDay > lastDay {
            throw UserError("--since \(firstDay) is after --until \(lastDay)")
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // From the start of the first day to the start of the day after the last, in the
        // zone's own calendar (a day across a daylight-saving change is not 24 hours).
        let from = firstDay.flatMap { AttributeDate.parse($0.description, zone: zone) }
        let to = lastDay.flatMap { AttributeDate.parse($0.description, zone: zone) }.flatMap {
            calendar.date(byAdding: .day, value: 1, to: $0)
        }
        var spend: [SourceCost]?
        if let costs {
            guard let data = FileManager.default.contents(atPath: costs), let text = String(data: data, encoding: .utf8)
            else {
                throw UserError("cannot read \(costs) as UTF-8 text")
            }
            do { spend = try SourceCost.parse(text) } catch { throw UserError("\(costs): \(error)") }
        }
        let store = try await project.openStore()
        var builder = SourceAnalysis.Builder()
        try await builder.addLeads(
            from: store, capturedFrom: from, before: to, scoreRules: project.settings.scoreRules, now: Date())
        // A month's spend counts for its days in the period; a period with a start and no
        // end runs through today (spend not yet made is no cost of these leads).
        let today = calendar.dateComponents([.year, .month, .day], from: Date())
        let through =
            lastDay
            ?? firstDay.map { _ in LocalDate(year: today.year ?? 1970, month: today.month ?? 1, day: today.day ?? 1) }
        let analysis = builder.finish(costs: spend, from: firstDay, through: through)
        let stageIDs = project.settings.stageRules.ids
        switch format {
        case .table:
            print(
                Terminal.escapingControls(SourceReport.table(analysis, stages: stageIDs, priced: spend != nil)),
                terminator: "")
        case .json: print(SourceReport.json(analysis, priced: spend != nil))
        case .csv: print(SourceReport.csv(analysis, stages: stageIDs, priced: spend != nil), terminator: "")
        }
    }

    /// A `--since`/`--until` day.
    static func day(_ text: String, option: String) throws -> LocalDate {
        guard let day = LocalDate(parsing: text) else {
            throw UserError("\(option) takes a day like 2030-01-31, not '\(text)'")
        }
        return day
    }
}
