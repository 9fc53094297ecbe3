import Foundation

/// The JSON body of a webhook: the event, and the lead as it stands (score at the
/// event's time, stages, source). Keys sorted, so a body is the same for the same data.
public enum WebhookPayload {
    /// `stageOrder`: the funnel's stages in order; `stage` is the furthest the lead reached.
    public static func body(for delivery: WebhookDelivery, score: LeadScore, stageOrder: [String]) -> [UInt8] {
        let lead = delivery.lead
        let stages = StageRules.ordered(lead.stages, by: stageOrder)
        let object: [String: Any] = [
            "id": delivery.idempotencyID,
            "event": delivery.event.name,
            "time": delivery.event.at.iso8601Seconds,
            "attributes": delivery.event.attributes,
            "lead": [
                "email": lead.email.address, "first_name": lead.firstName ?? NSNull(),
                "last_name": lead.lastName ?? NSNull(),
                "status": lead.status.rawValue, "tags": lead.tags.sorted(), "attributes": lead.attributes,
                "created_at": lead.createdAt.map(\.iso8601Seconds) ?? NSNull(),
            ] as [String: Any],
            "score": score.total, "fit": score.fit, "engagement": score.engagement,
            "stage": stages.last ?? NSNull(), "stages": stages,
            "source": lead.source.map {
                ["source": $0.source ?? NSNull(), "medium": $0.medium ?? NSNull(), "campaign": $0.campaign ?? NSNull()]
                    as [String: Any]
            }
                ?? NSNull(),
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return Array(data)
    }
}
