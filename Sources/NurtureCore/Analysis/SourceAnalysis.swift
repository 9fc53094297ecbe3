import Foundation

/// `report --by source`: per source, the leads it brought (captured in the period), how
/// far they got (stages, conversions), how good they are (average score and fit), and
/// with costs what each lead and conversion cost. Sources are the rows; their medium and
/// campaign split them further (`breakdown`), where costs do not reach: spend is per source.
public struct SourceAnalysis: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        /// Nil: leads captured without a source. In a breakdown, the full first touch.
        public var source: LeadSource?
        public var leads = 0
        /// Leads that reached each stage.
        public var stages: [String: Int] = [:]
        /// Leads with at least one drip ended by a goal event.
        public var conversions = 0
        public var scoreSum = 0.0
        public var fitSum = 0
        public var spend: Double?
        public var breakdown: [Row] = []

        public var conversionRate: Double? { leads > 0 ? Double(conversions) / Double(leads) : nil }
        public var averageScore: Double? { leads > 0 ? scoreSum / Double(leads) : nil }
        public var averageFit: Double? { leads > 0 ? Double(fitSum) / Double(leads) : nil }
        public var costPerLead: Double? { spend.flatMap { leads > 0 ? $0 / Double(leads) : nil } }
        public var costPerConversion: Double? { spend.flatMap { conversions > 0 ? $0 / Double(conversions) : nil } }

        /// The row as `report --by source` and the report page print it, after its label:
        /// leads, those at each of `stages`, conversions, their rate, average score and fit.
        public func cells(stages: [String]) -> [String] {
            func average(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
            let reached = stages.map { String(self.stages[$0] ?? 0) }
            return [String(leads)] + reached + [
                String(conversions), CampaignReport.percent(conversionRate), average(averageScore), average(averageFit),
            ]
        }

        mutating func add(score: LeadScore, stages reached: Set<String>, converted: Bool) {
            leads += 1
            scoreSum += score.total
            fitSum += score.fit
            for stage in reached { stages[stage, default: 0] += 1 }
            if converted { conversions += 1 }
        }
    }

    public var rows: [Row]

    /// Builds the report a lead at a time (`add`), then prices it (`finish`).
    public struct Builder: Sendable {
        var bySource: [String?: Row] = [:]
        var byTouch: [String?: [LeadSource?: Row]] = [:]

        public init() {}

        public mutating func add(_ lead: Lead, score: LeadScore, stages: Set<String>, converted: Bool) {
            let key = lead.source?.source
            bySource[key, default: Row(source: key.flatMap { LeadSource(source: $0) })].add(
                score: score, stages: stages, converted: converted)
            byTouch[key, default: [:]][lead.source, default: Row(source: lead.source)].add(
                score: score, stages: stages, converted: converted)
        }

        /// The rows, most leads first, with the spend of `costs` in the days `first...last`
        /// (either end open; a month's spend prorated by its days in the period). A source
        /// that only spent is listed with 0 leads; one without a cost row has no spend (not
        /// zero: nobody said it was free).
        public func finish(costs: [SourceCost]?, from first: LocalDate? = nil, through last: LocalDate? = nil)
            -> SourceAnalysis
        {
            var rows = bySource
            for cost in costs ?? [] {
                let share = cost.amount(from: first, through: last)
                // A month the period does not reach says nothing about this report.
                if cost.month != nil, share == 0 { continue }
                rows[cost.source, default: Row(source: LeadSource(source: cost.source))].spend =
                    (rows[cost.source]?.spend ?? 0) + share
            }
            func order(_ left: Row, _ right: Row) -> Bool {
                (left.leads, right.source?.description ?? "") > (right.leads, left.source?.description ?? "")
            }
            let result = rows.map { key, row -> Row in
                var row = row
                let touches = byTouch[key].map { Array($0.values) } ?? []
                // A breakdown only says something when a source was split by medium or campaign.
                if touches.count > 1
                    || touches.contains(where: { $0.source?.medium != nil || $0.source?.campaign != nil })
                {
                    row.breakdown = touches.sorted(by: order)
                }
                return row
            }
            return SourceAnalysis(rows: result.sorted(by: order))
        }
    }
}
