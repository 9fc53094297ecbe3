import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func leadsBySource() async throws -> [SourceTally] {
        try await read { connection in
            var tallies: [LeadSource?: SourceTally] = [:]
            for try await (source, medium, campaign, count) in try await connection.query(
                "SELECT source, medium, source_campaign, count(*) FROM leads GROUP BY 1, 2, 3", logger: logger
            ).decode((String?, String?, String?, Int).self) {
                let origin = LeadSource(source: source, medium: medium, campaign: campaign)
                tallies[origin] = SourceTally(source: origin, leads: count)
            }
            for try await (source, medium, campaign, stage, count) in try await connection.query("""
                SELECT l.source, l.medium, l.source_campaign, s.stage, count(*) FROM lead_stages s JOIN leads l ON l.id = s.lead_id GROUP BY 1, 2, 3, 4
                """, logger: logger).decode((String?, String?, String?, String, Int).self) {
                tallies[LeadSource(source: source, medium: medium, campaign: campaign)]?.stages[stage] = count
            }
            return Array(tallies.values)
        }
    }
}
