import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NurtureCore

/// Double opt-in in `serve`: mails the confirmation for a subscription from the form, and
/// answers its link. `GET /subscribe/confirm/TOKEN` shows a button; only the `POST` it
/// makes confirms, so a mail scanner that follows every link confirms nobody.
struct ConfirmRoutes: Sendable {
    let store: any Store
    let confirmation: SubscriptionConfirmation
    let signer: LinkSigner
    let baseURL: String
    let loadCatalog: @Sendable () -> CampaignCatalog
    /// A transport per confirmation (SMTP or the outbox), closed after it.
    let makeTransport: @Sendable () throws -> any Transport
    let now: @Sendable () -> Date
    let followUps: FollowUps?

    /// Keeps the subscription pending and mails its link; a failed mail is logged, and
    /// the next request for the address tries again.
    func request(_ input: LeadInput, logger: Logger) async throws {
        let at = now()
        guard let pending = try await retryingWhileBusy({ try await store.addPendingSubscription(input, now: at) }) else { return }
        let url = "\(baseURL)/subscribe/confirm/\(confirmation.token(for: pending, signer: signer))"
        let message = confirmation.message(for: pending, confirmURL: url, templates: loadCatalog().templates, date: at)
        let transport = try makeTransport()
        let result = await transport.deliver(message)
        await transport.finish()
        guard case .delivered = result else {
            logger.error("could not send the confirmation to \(input.email): \(result)")
            return
        }
        try await retryingWhileBusy { try await store.markConfirmationSent(id: pending.id, now: at) }
    }

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/subscribe/confirm/:token") { _, context in
            guard let target = try await live(try context.parameters.require("token")),
                try await store.pendingSubscription(id: target.id, requestedAt: target.requestedAt) != nil
            else { return expired }
            return Page.html(Page.document(title: "Confirm", body: """
                <h1>Confirm your subscription</h1><form method="post"><p><button type="submit">Yes, subscribe me</button></p></form>
                """))
        }
        router.post("/subscribe/confirm/:token") { request, context in
            guard let target = try await live(try context.parameters.require("token")) else { return expired }
            let at = now()
            let ip = context.clientIP(request)
            guard let email = try await retryingWhileBusy({
                try await store.confirmSubscription(id: target.id, requestedAt: target.requestedAt, ip: ip, now: at)
            }) else { return expired }
            followUps?.nudge()
            return Page.html(Page.document(
                title: "Subscribed", body: "<h1>You are subscribed</h1><p>Thank you: \(Page.escape(email.address)) is on the list.</p>"))
        }
    }

    /// What a token names, if this installation signed it and it has not expired.
    private func live(_ token: String) async throws -> (id: Int64, requestedAt: Date)? {
        guard let target = SubscriptionConfirmation.target(ofToken: token, signer: signer),
            confirmation.isLive(requestedAt: target.requestedAt, now: now())
        else { return nil }
        return target
    }

    private var expired: Response {
        Page.html(Page.document(title: "Not found", body: "<h1>This link is not valid</h1><p>It may have expired: please subscribe again.</p>"),
                  status: .notFound)
    }
}
