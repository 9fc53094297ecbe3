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
    let now: @Sendable () -> Date
    let followUps: FollowUps?

    /// Mails the confirmations, after the answer.
    let outbox: ConfirmationOutbox

    /// Records the request (the same write whoever the address is) and leaves the mail to
    /// the outbox: the answer takes the same time for a known address as for a new one.
    func request(_ input: LeadInput, logger: Logger) async throws {
        let at = now()
        try await retryingWhileBusy { try await store.requestSubscription(input, now: at) }
        outbox.nudge()
    }

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/subscribe/confirm/:token") { _, context in
            guard let target = try await live(try context.parameters.require("token")),
                try await store.pendingSubscription(id: target.id, requestedAt: target.requestedAt) != nil
            else { return expired }
            return Page.html(
                Page.document(
                    title: "Confirm",
                    body: """
                        <h1>Confirm your subscription</h1><form method="post"><p><button type="submit">Yes, subscribe me</button></p></form>
                        """))
        }
        router.post("/subscribe/confirm/:token") { request, context in
            guard let target = try await live(try context.parameters.require("token")) else { return expired }
            let at = now()
            let ip = context.clientIP(request)
            guard
                let email = try await retryingWhileBusy({
                    try await store.confirmSubscription(id: target.id, requestedAt: target.requestedAt, ip: ip, now: at)
                })
            else { return expired }
            followUps?.nudge()
            return Page.html(
                Page.document(
                    title: "Subscribed",
                    body: "<h1>You are subscribed</h1><p>Thank you: \(Page.escape(email.address)) is on the list.</p>"))
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
        Page.html(
            Page.document(
                title: "Not found",
                body: "<h1>This link is not valid</h1><p>It may have expired: please subscribe again.</p>"),
            status: .notFound)
    }
}
