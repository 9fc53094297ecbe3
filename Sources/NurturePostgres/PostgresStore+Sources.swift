import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func convertedLeads(among ids: [Int64]) async throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return try await read { connection in
            var converted: Set<Int64> = []
            for try await id in try await connection.query(
                "SELECT DISTINCT lead_id FROM enrollments WHERE state = 'converted' AND lead_id = ANY(\(ids))",
                logger: self.logger
            ).decode(Int64.self) {
                converted.insert(id)
            }
            return converted
        }
    }
}
