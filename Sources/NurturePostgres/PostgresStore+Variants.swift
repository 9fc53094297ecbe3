import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func variantWinners() async throws -> [VariantWinner] {
        try await read { connection in
            var winners: [VariantWinner] = []
            for try await (campaign, step, variant, decidedAt, reason, pValue) in try await connection.query(
                """
                SELECT campaign_id, step_id, variant, decided_at, reason, p_value FROM variant_winners ORDER BY campaign_id, step_id
                """, logger: self.logger
            ).decode((String, String, String, Int64, String, Double?).self) {
                winners.append(
                    VariantWinner(
                        campaignID: campaign, step: step, variant: variant, decidedAt: Date(epochSeconds: decidedAt),
                        reason: reason, pValue: pValue))
            }
            return winners
        }
    }

    public func recordVariantWinner(_ winner: VariantWinner) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO variant_winners (campaign_id, step_id, variant, decided_at, reason, p_value)
                VALUES (\(winner.campaignID), \(winner.step), \(winner.variant), \(winner.decidedAt.epochSeconds), \(winner.reason), \(winner.pValue))
                ON CONFLICT (campaign_id, step_id) DO UPDATE SET
                    variant = excluded.variant, decided_at = excluded.decided_at, reason = excluded.reason, p_value = excluded.p_value
                    WHERE excluded.reason = 'picked' AND variant_winners.variant <> excluded.variant
                """, logger: self.logger)
        }
    }
}
