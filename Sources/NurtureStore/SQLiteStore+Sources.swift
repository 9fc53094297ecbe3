import Foundation
import NurtureCore

extension SQLiteStore {
    public func convertedLeads(among ids: [Int64]) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        var converted: Set<Int64> = []
        try connection.prepare(
            """
            SELECT DISTINCT lead_id FROM enrollments WHERE state = 'converted' AND lead_id IN (SELECT value FROM json_each(?))
            """
        ).rows([.text(JSONText.integers(ids))]) { converted.insert($0.integer(0)) }
        return converted
    }
}
