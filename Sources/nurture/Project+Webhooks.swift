import Foundation
import NurtureCore
import NurtureDelivery

extension Project {
    /// Tells the store which events the webhooks want (its trigger writes their outbox),
    /// and returns what posts them; nil when nurture.yml has none. Webhooks are signed
    /// with NURTURE_WEBHOOK_SECRET, which must then be set: a CRM checks every request.
    func webhookDispatcher(store: any Store) async throws -> WebhookDispatcher? {
        try await store.setWebhooks(settings.webhooks)
        guard !settings.webhooks.isEmpty else { return nil }
        guard let secret = environment["NURTURE_WEBHOOK_SECRET"], !secret.isEmpty else {
            throw UserError(
                """
                nurture.yml has webhooks but NURTURE_WEBHOOK_SECRET is not set: it signs each request so your CRM can check it; \
                set it to a long random secret (openssl rand -hex 32) and give the same to your CRM
                """)
        }
        return WebhookDispatcher(
            store: store, poster: CurlWebhookPoster(), secret: secret, scoreRules: settings.scoreRules,
            stageOrder: settings.stageRules.ids,
            wallClock: Date.init)
    }
}
