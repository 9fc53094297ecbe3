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

    /// The answer to a tracking request (`GET` or `HEAD` of `/o/TOKEN` or `/c/TOKEN`), or
    /// nil for any other request. `serve` asks this before its router: a redirect is
    /// most of its traffic, and the router's path matching cost a sixteenth of it.
    func respond(to request: Request, context: NurtureRequestContext) async -> Response? {
        guard request.method == .get || request.method == .head else { return nil }
        let path = request.uri.path
        guard path.utf8.count > 3, path.utf8.first == UInt8(ascii: "/"), path.utf8.dropFirst(2).first == UInt8(ascii: "/") else { return nil }
        let token = String(path.dropFirst(3))
        guard !token.isEmpty, !token.contains("/") else { return nil }
        switch path.utf8.dropFirst().first {
        case UInt8(ascii: "o"): return await open(token: token, request: request, context: context)
        case UInt8(ascii: "c"): return await click(token: token, request: request, context: context)
        default: return nil
        }
    }

    private func open(token: String, request: Request, context: NurtureRequestContext) async -> Response {
        guard let link = links.open(token: token) else { return Page.notFound }
        await record(link, request: request, context: context)
        var headers = HTTPFields()
        headers[.contentType] = "image/gif"
        headers[.cacheControl] = "no-store, no-cache, must-revalidate, max-age=0"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
    }

    private func click(token: String, request: Request, context: NurtureRequestContext) async -> Response {
        guard let link = links.click(token: token) else { return Page.notFound }
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
