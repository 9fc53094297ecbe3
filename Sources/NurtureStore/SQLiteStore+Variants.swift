import Foundation
import NurtureCore

extension SQLiteStore {
    public func variantWinners() throws -> [VariantWinner] {
        var winners: [VariantWinner] = []
        try connection.prepare(
            "SELECT campaign_id, step_id, variant, decided_at, reason, p_value FROM variant_winners ORDER BY campaign_id, step_id"
        )
        .rows {
            winners.append(
                VariantWinner(
                    campaignID: $0.text(0) ?? "", step: $0.text(1) ?? "", variant: $0.text(2) ?? "",
                    decidedAt: Date(epochSeconds: $0.integer(3)),
                    reason: $0.text(4) ?? "", pValue: $0.real(5)))
        }
        return winners
    }

    public func recordVariantWinner(_ winner: VariantWinner) throws {
        try connection.transaction {
            try connection.prepare(
                """
                INSERT INTO variant_winners (campaign_id, step_id, variant, decided_at, reason, p_value) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (campaign_id, step_id) DO UPDATE SET
                    variant = excluded.variant, decided_at = excluded.decided_at, reason = excluded.reason, p_value = excluded.p_value
                    WHERE excluded.reason = 'picked' AND variant_winners.variant <> excluded.variant
                """
            ).rows([
                .text(winner.campaignID), .text(winner.step), .text(winner.variant),
                .integer(winner.decidedAt.epochSeconds), .text(winner.reason),
                winner.pValue.map { .real($0) } ?? .null,
            ])
        }
    }
}
