import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    /// The condition, on a lead `l`, that no suppression covers its address or domain.
    static let notSuppressed = """
        NOT EXISTS (SELECT 1 FROM suppressions s
            WHERE s.pattern = lower(l.email) OR s.pattern = '@' || split_part(lower(l.email), '@', 2))
        """

    public func suppress(_ patterns: [String], reason: String, now: Date) async throws -> Int {
        try await write { connection in
            try await connection.count(
                """
                WITH added AS (
                    INSERT INTO suppressions (pattern, reason, created_at)
                    SELECT DISTINCT unnest(\(patterns)::text[]), \(reason), \(now.epochSeconds) ON CONFLICT DO NOTHING RETURNING 1)
                SELECT count(*) FROM added
                """, logger: self.logger)
        }
    }

    public func unsuppress(_ pattern: String) async throws -> Bool {
        try await write { connection in
            try await connection.changes(
                "DELETE FROM suppressions WHERE pattern = \(pattern) RETURNING 1", logger: self.logger) == 1
        }
    }

    public func suppressions() async throws -> [Suppression] {
        try await read { connection in
            try await connection.rows(
                "SELECT pattern, reason, created_at FROM suppressions ORDER BY created_at, pattern", logger: self.logger
            ).map {
                let (pattern, reason, created) = try $0.decode((String, String, Int64).self)
                return Suppression(pattern: pattern, reason: reason, createdAt: Date(epochSeconds: created))
            }
        }
    }

    public func suppressionEntries(for addresses: [String]) async throws -> [String: String] {
        let candidates = Array(Set(addresses.flatMap(Suppression.candidates(for:))))
        guard !candidates.isEmpty else { return [:] }
        let listed = try await read { connection in
            Set(
                try await connection.rows(
                    "SELECT pattern FROM suppressions WHERE pattern = ANY(\(candidates))", logger: self.logger
                )
                .map { try $0.decode(String.self) })
        }
        return Dictionary(
            uniqueKeysWithValues: addresses.compactMap { address in
                Suppression.candidates(for: address).first(where: listed.contains).map { (address, $0) }
            })
    }
}
