import Foundation
import HTTPTypes
import Hummingbird
import NurtureCore

/// `GET /o/TOKEN` answers a 1×1 GIF and records an open; `GET /c/TOKEN` redirects to
/// the link's URL and records a click. Every request is recorded, classified human,
/// machine or unknown. A token not signed here is a 404 without a `Location`: no open
/// redirect. A failure to record never costs the reader the redirect or the image.
struct TrackingRoutes: Sendable {
    let store: any Store
    let links: TrackingLinks
    let classifier: ActivityClassifier
    let now: @Sendable () -> Date
    /// Told of each person's open or click (it may move the lead into a stage).
    let followUps: FollowUps?

    /// How far apart in time a decoy hit and a real click from the same address may be
    /// and still be one scanner's visit.
    static let decoyReach: TimeInterval = 60

    // Made once: a field name is checked character by character when it is made.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let secPurpose = HTTPField.Name("Sec-Purpose")!
    static let purpose = HTTPField.Name("Purpose")!

    /// The smallest transparent GIF (43 bytes).
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF,
        0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
        0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    func add(to router: Router<NurtureRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/o/:token", method: method) { request, context in
                guard let link = links.open(token: try context.parameters.require("token")) else { return Page.notFound }
                await record(link, request: request, context: context)
                var headers = HTTPFields()
                headers[.contentType] = "image/gif"
                headers[.cacheControl] = "no-store, no-cache, must-revalidate, max-age=0"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
            }
            router.on("/c/:token", method: method) { request, context in
                guard let link = links.click(token: try context.parameters.require("token")) else { return Page.notFound }
                await record(link, request: request, context: context)
                guard case .click(_, _, let url) = link else {
                    // The decoy leads nowhere a scanner could learn from.
                    return Page.html(Page.document(title: "Nothing here", body: "<p>Nothing here.</p>"))
                }
                var headers = HTTPFields()
                headers[.location] = url
                headers[.cacheControl] = "no-store"
                headers[Self.referrerPolicy] = "no-referrer"
                return Response(status: .found, headers: headers)
            }
        }
    }

    private func record(_ link: TrackedLink, request: Request, context: NurtureRequestContext) async {
        let tracked = TrackingRequest(
            link: link, at: now(), isHead: request.method == .head, userAgent: request.headers[.userAgent],
            ip: context.clientIP(request),
            purpose: request.headers[Self.secPurpose] ?? request.headers[Self.purpose])
        do {
            let verdict = try await retryingWhileBusy(patience: .seconds(30)) {
                try await store.track(tracked, classifier: classifier, decoyReach: Self.decoyReach)
            }
            if verdict?.activityClass == .human { followUps?.nudge() }
        } catch {
            context.logger.error("could not record \(tracked.kind.rawValue) of message \(link.messageRow): \(error)")
        }
    }
}
