import Foundation
import NurtureCore

/// The text, JSON and CSV of `report --by source`: leads by first touch, and how many of
/// them reached each stage. Most leads first.
enum SourceReport {
    static func sorted(_ tallies: [SourceTally]) -> [SourceTally] {
        tallies.sorted { ($0.leads, $1.source?.description ?? "") > ($1.leads, $0.source?.description ?? "") }
    }

    static func cells(_ tally: SourceTally) -> [String] {
        [tally.source?.source ?? "(none)", tally.source?.medium ?? "-", tally.source?.campaign ?? "-"]
    }

    static func table(_ tallies: [SourceTally], stages: [String]) -> String {
        let header = ["source", "medium", "campaign", "leads"] + stages
        let rows: [[String]] = sorted(tallies).map { tally in
            let counts: [String] = stages.map { String(tally.stages[$0] ?? 0) }
            return cells(tally) + [String(tally.leads)] + counts
        }
        let all = [header] + rows
        let widths: [Int] = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        let lines: [String] = all.map { row in
            let padded: [String] = row.indices.map { row[$0].padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }
            return padded.joined().trimmingCharacters(in: .whitespaces)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ tallies: [SourceTally]) -> String {
        let rows = sorted(tallies).map { tally -> [String: Any] in
            ["source": tally.source?.source ?? NSNull(), "medium": tally.source?.medium ?? NSNull(), "campaign": tally.source?.campaign ?? NSNull(),
             "leads": tally.leads, "stages": tally.stages]
        }
        let data = (try? JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func csv(_ tallies: [SourceTally], stages: [String]) -> String {
        let header = (["source", "medium", "campaign", "leads"] + stages).map(CSVCell.escape).joined(separator: ",")
        let rows = sorted(tallies).map { tally in
            ([tally.source?.source ?? "", tally.source?.medium ?? "", tally.source?.campaign ?? "", String(tally.leads)]
                + stages.map { String(tally.stages[$0] ?? 0) }).map(CSVCell.escape).joined(separator: ",")
        }
        return ([header] + rows).joined(separator: "\n") + "\n"
    }
}
