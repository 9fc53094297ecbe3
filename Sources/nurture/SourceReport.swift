import Foundation
import NurtureCore

/// The text, JSON and CSV of `report --by source`.
enum SourceReport {
    static func number(_ value: Double?, decimals: Int = 2) -> String {
        value.map { String(format: "%.\(decimals)f", $0) } ?? "-"
    }

    static func name(_ row: SourceAnalysis.Row) -> String { row.source?.source ?? "(none)" }

    static func table(_ analysis: SourceAnalysis, stages: [String], priced: Bool) -> String {
        var header = ["source", "leads"] + stages + ["converted", "conv%", "avg score", "avg fit"]
        if priced { header += ["spend", "per lead", "per conv."] }
        func cells(_ row: SourceAnalysis.Row, label: String, priced: Bool) -> [String] {
            var cells = [label] + row.cells(stages: stages)
            if priced { cells += [number(row.spend), number(row.costPerLead), number(row.costPerConversion)] }
            return cells
        }
        var rows = [header]
        for row in analysis.rows {
            rows.append(cells(row, label: name(row), priced: priced))
            for touch in row.breakdown {
                rows.append(
                    cells(
                        touch, label: "  \(touch.source?.medium ?? "-") / \(touch.source?.campaign ?? "-")",
                        priced: false)
                        + (priced ? ["", "", ""] : []))
            }
        }
        return TextOutput.table(rows).joined(separator: "\n") + "\n"
    }

    static func fields(_ row: SourceAnalysis.Row) -> [String: Any] {
        [
            "leads": row.leads, "stages": row.stages, "conversions": row.conversions,
            "conversion_rate": row.conversionRate ?? NSNull(),
            "average_score": row.averageScore ?? NSNull(), "average_fit": row.averageFit ?? NSNull(),
        ]
    }

    static func json(_ analysis: SourceAnalysis, priced: Bool) -> String {
        let rows = analysis.rows.map { row -> [String: Any] in
            var object = fields(row)
            object["source"] = row.source?.source ?? NSNull()
            if priced {
                object["spend"] = row.spend ?? NSNull()
                object["cost_per_lead"] = row.costPerLead ?? NSNull()
                object["cost_per_conversion"] = row.costPerConversion ?? NSNull()
            }
            object["breakdown"] = row.breakdown.map { touch -> [String: Any] in
                var object = fields(touch)
                object["medium"] = touch.source?.medium ?? NSNull()
                object["campaign"] = touch.source?.campaign ?? NSNull()
                return object
            }
            return object
        }
        return TextOutput.json(rows)
    }

    static func csv(_ analysis: SourceAnalysis, stages: [String], priced: Bool) -> String {
        var header =
            ["source", "medium", "campaign", "leads"] + stages + [
                "conversions", "conversion_rate", "average_score", "average_fit",
            ]
        if priced { header += ["spend", "cost_per_lead", "cost_per_conversion"] }
        func line(_ row: SourceAnalysis.Row, medium: String, campaign: String, priced: Bool) -> String {
            var cells =
                [row.source?.source ?? "", medium, campaign, String(row.leads)]
                + stages.map { String(row.stages[$0] ?? 0) }
            cells +=
                [String(row.conversions)]
                + [row.conversionRate, row.averageScore, row.averageFit].map {
                    $0.map { String(format: "%.4f", $0) } ?? ""
                }
            if priced {
                cells += [row.spend, row.costPerLead, row.costPerConversion].map {
                    $0.map { String(format: "%.2f", $0) } ?? ""
                }
            }
            return cells.map(CSVCell.escape).joined(separator: ",")
        }
        var lines = [header.map(CSVCell.escape).joined(separator: ",")]
        for row in analysis.rows {
            lines.append(line(row, medium: "", campaign: "", priced: priced))
            for touch in row.breakdown {
                lines.append(
                    line(
                        touch, medium: touch.source?.medium ?? "", campaign: touch.source?.campaign ?? "", priced: false
                    ) + (priced ? ",,," : ""))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
