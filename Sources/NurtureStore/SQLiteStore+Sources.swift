import Foundation
import NurtureCore

extension SQLiteStore {
    public func leadsBySource() throws -> [SourceTally] {
        try connection.read {
            var tallies: [LeadSource?: SourceTally] = [:]
            try connection.prepare("SELECT source, medium, source_campaign, count(*) FROM leads GROUP BY 1, 2, 3").rows { row in
                let source = LeadSource(source: row.text(0), medium: row.text(1), campaign: row.text(2))
                tallies[source] = SourceTally(source: source, leads: Int(row.integer(3)))
            }
            try connection.prepare("""
                SELECT l.source, l.medium, l.source_campaign, s.stage, count(*) FROM lead_stages s JOIN leads l ON l.id = s.lead_id GROUP BY 1, 2, 3, 4
                """).rows { row in
                let source = LeadSource(source: row.text(0), medium: row.text(1), campaign: row.text(2))
                if let stage = row.text(3) { tallies[source]?.stages[stage] = Int(row.integer(4)) }
            }
            return Array(tallies.values)
        }
    }
}
