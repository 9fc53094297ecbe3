import Foundation
import Hummingbird
import NurtureCore

/// `GET /u/TOKEN` shows a confirmation page and changes nothing; `POST /u/TOKEN`
/// unsubscribes at once (RFC 8058 one-click: no redirect, no login, no cookie, any
/// body). A token not signed by this installation is a 404.
struct UnsubscribeRoutes: Sendable {
    let store: any Store
    let signer: LinkSigner
    /// The clock for recording unsubscribes.
    let now: @Sendable () -> Date
    /// Told of each unsubscribe (its event may be a webhook's).
    let followUps: FollowUps?

    init(
        store: any Store, signer: LinkSigner, now: @escaping @Sendable () -> Date = Date.init,
        followUps: FollowUps? = nil
    ) {
        self.followUps = followUps
        self.store = store
        self.signer = signer
        self.now = now
    }

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/u/:token") { _, context in
            guard let target = signer.unsubscribeTarget(inToken: try context.parameters.require("token")),
                let lead = try await store.lead(enrollmentID: target.enrollmentID)
            else { return Page.notFound }
            let already = lead.status != .active
            return Page.html(
                Page.document(
                    title: "Unsubscribe",
                    body: already
                        ? "<h1>You are unsubscribed</h1><p>\(Page.escape(lead.email.address)) gets no more of these emails.</p>"
                        : """
                        <h1>Unsubscribe?</h1>
                        <p>Stop all emails from us to <strong>\(Page.escape(lead.email.address))</strong>.</p>
                        <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>
                        """))
        }
        // A HEAD (a scanner, a link checker) learns that the page exists and changes nothing.
        router.head("/u/:token") { _, context in
            signer.unsubscribeTarget(inToken: try context.parameters.require("token")) == nil
                ? Response(status: .notFound) : Response(status: .ok)
        }
        router.post("/u/:token") { request, context in
            guard let target = signer.unsubscribeTarget(inToken: try context.parameters.require("token")) else {
                return Page.notFound
            }
            // RFC 8058 §3.2: the body is List-Unsubscribe=One-Click, urlencoded or multipart;
            // it is read (bounded) but not needed: the signed token says who.
            _ = try? await request.body.collect(upTo: 64 * 1024)
            let at = now()
            let unsubscribed = try await retryingWhileBusy {
                try await store.unsubscribe(enrollmentID: target.enrollmentID, step: target.step, now: at)
            }
            guard let email = unsubscribed else { return Page.notFound }
            followUps?.nudge()
            return Page.html(
                Page.document(
                    title: "Unsubscribed",
                    body:
                        "<h1>You are unsubscribed</h1><p>\(Page.escape(email.address)) gets no more of these emails.</p>"
                ))
        }
    }
}
