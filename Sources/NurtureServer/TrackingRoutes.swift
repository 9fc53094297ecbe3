import Foundation
import HTTPTypes
import Hummingbird
import Logging
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
    var logger = Logger(label: "nurture.tracking")

    /// How far apart in time a decoy hit and a real click from the same address may be
    /// and still be one scanner's visit.
    static let decoyReach: TimeInterval = 60

    // Made once: a field name is checked character by character when it is made.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let secPurpose = HTTPField.Name("Sec-Purpose")!
    static let purpose = HTTPField.Name("Purpose")!

    /// The smallest transparent GIF (43 bytes).
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF,
        0xFF,
        0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0x02,
        0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    /// The answer to a tracking request (`GET` or `HEAD` of `/o/TOKEN` or `/c/TOKEN`), or
    /// nil for any other request. `serve` asks this before its router: a redirect is
    /// most of its traffic, and the router's path matching cost a sixteenth of it.
    func respond(to request: Request, context: NurtureRequestContext) async -> Response? {
        guard let asked = link(method: request.method, path: request.uri.path) else { return nil }
        guard let link = asked else { return Page.notFound }
        await record(link, seen: .init(request, ip: context.clientIP(request)))
        switch link {
        case .open:
            return Response(
                status: .ok, headers: Self.pixelHeaders, body: .init(byteBuffer: ByteBuffer(bytes: Self.pixel)))
        case .click(_, _, let url): return Response(status: .found, headers: Self.redirectHeaders(to: url))
        case .decoy:
            // The decoy leads nowhere a scanner could learn from.
            return Page.html(Page.document(title: "Nothing here", body: "<p>Nothing here.</p>"))
        }
    }

    /// The link a `GET` or `HEAD` of `path` asks for: nil for any other request, and
    /// `Page.notFound`'s link (`.none` inside) for a token not signed here.
    func link(method: HTTPRequest.Method, path: some StringProtocol) -> TrackedLink?? {
        guard method == .get || method == .head else { return nil }
        let bytes = path.utf8
        guard bytes.count > 3, bytes.first == UInt8(ascii: "/"), bytes.dropFirst(2).first == UInt8(ascii: "/") else {
            return nil
        }
        // Bytes, not `contains("/")`: with Foundation in scope that is a CFString search.
        guard !bytes.dropFirst(3).contains(UInt8(ascii: "/")) else { return nil }
        let token = String(path.dropFirst(3))
        switch bytes.dropFirst().first {
        case UInt8(ascii: "o"): return .some(links.open(token: token))
        case UInt8(ascii: "c"): return .some(links.click(token: token))
        default: return nil
        }
    }

    static let pixelHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "image/gif"
        headers[.cacheControl] = "no-store, no-cache, must-revalidate, max-age=0"
        return headers
    }()

    /// The answer to an open or click answered ahead of the router (by `TrackingWirePath`
    /// or `TrackingFastPath`): the same, header for header, as the routes give.
    static func answer(to link: TrackedLink, isHead: Bool, date: String, server: String) -> (
        HTTPResponse, body: [UInt8]?
    ) {
        var response: HTTPResponse
        var body: [UInt8]?
        switch link {
        case .click(_, _, let url):
            response = HTTPResponse(status: .found, headerFields: redirectHeaders(to: url))
            response.headerFields[.contentLength] = "0"
        default:
            response = HTTPResponse(status: .ok, headerFields: pixelHeaders)
            response.headerFields[.contentLength] = String(pixel.count)
            if !isHead { body = pixel }
        }
        response.headerFields[.date] = date
        response.headerFields[.server] = server
        return (response, body)
    }

    static func redirectHeaders(to url: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        headers[Self.referrerPolicy] = "no-referrer"
        return headers
    }

    /// What a tracking request said about itself, whichever way it reached `serve`.
    struct Seen: Sendable {
        var isHead: Bool
        var userAgent: String?
        var purpose: String?
        var ip: String?

        init(isHead: Bool, headers: HTTPFields, ip: String?) {
            self.isHead = isHead
            userAgent = headers[.userAgent]
            purpose = headers[TrackingRoutes.secPurpose] ?? headers[TrackingRoutes.purpose]
            self.ip = ip
        }

        init(isHead: Bool, userAgent: String?, purpose: String?, ip: String?) {
            self.isHead = isHead
            self.userAgent = userAgent
            self.purpose = purpose
            self.ip = ip
        }

        init(_ request: Request, ip: String?) {
            self.init(isHead: request.method == .head, headers: request.headers, ip: ip)
        }

        func request(for link: TrackedLink, at time: Date) -> TrackingRequest {
            TrackingRequest(link: link, at: time, isHead: isHead, userAgent: userAgent, ip: ip, purpose: purpose)
        }
    }

    /// Records requests before they are answered (a completed request is a recorded
    /// one), in one transaction: what the loops answered ahead of the router meanwhile,
    /// each dated when it arrived.
    /// A click or open already on its way to an answer is never given up for a busy
    /// store (issue 41.4): the answer waits until the store takes it, which holds the
    /// reader's connection, and so new requests on it, meanwhile (back-pressure: memory
    /// grows with the connections waiting, not with a queue of its own).
    static let busyPatience: Duration? = nil

    func record(_ batch: [(link: TrackedLink, seen: Seen, at: Date)]) async {
        let tracked = batch.map { $0.seen.request(for: $0.link, at: $0.at) }
        do {
            let verdicts = try await retryingWhileBusy(patience: Self.busyPatience) {
                try await store.track(tracked, classifier: classifier, decoyReach: Self.decoyReach)
            }
            if verdicts.contains(where: { $0?.activityClass == .human }) { followUps?.nudge() }
        } catch {
            logger.error("could not record \(tracked.count) opens and clicks: \(error)")
        }
    }

    /// Records the request before it is answered: a completed request is a recorded one.
    func record(_ link: TrackedLink, seen: Seen) async {
        let tracked = seen.request(for: link, at: now())
        do {
            let verdict = try await retryingWhileBusy(patience: Self.busyPatience) {
                try await store.track(tracked, classifier: classifier, decoyReach: Self.decoyReach)
            }
            if verdict?.activityClass == .human { followUps?.nudge() }
        } catch {
            logger.error("could not record \(tracked.kind.rawValue) of message \(link.messageRow): \(error)")
        }
    }
}
