import Crypto
import Foundation
import Hummingbird

/// Guards the preview and report pages. On 127.0.0.1 they are open to requests from this
/// machine itself; bound elsewhere, or reached through a proxy (a request that carries
/// `X-Forwarded-For`, `Forwarded` or `X-Real-IP` comes from somewhere else, whatever its
/// peer address), they need `NURTURE_ADMIN_PASSWORD`, by HTTP Basic auth (any user name)
/// or `Authorization: Bearer`. Without a password set, such requests are refused.
/// Failed logins are throttled per client address.
struct AdminAuth: Sendable {
    enum Mode: Sendable {
        /// Bound to loopback, no password: open to direct local requests only.
        case loopback
        case password(String)
        case closed
    }

    let mode: Mode
    /// Failed logins per client address: after five within a minute, 429 until it is over.
    let throttle = WindowCounter(allowed: 5, window: 60)

    /// The server's clock, for the failed-login window.
    let now: @Sendable () -> Date

    init(host: String, password: String?, now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        if let password, !password.isEmpty {
            mode = .password(password)
        } else {
            mode = loopback ? .loopback : .closed
        }
    }

    /// Headers a reverse proxy adds: their presence means the request came from elsewhere.
    static let proxyHeaders: [HTTPFields.Element.Name] = ["X-Forwarded-For", "Forwarded", "X-Real-IP"].map {
        .init($0)!
    }

    /// Nil when the request may see the page; otherwise the response to send instead.
    func refusal(for request: Request, context: NurtureRequestContext) -> Response? {
        switch mode {
        case .loopback:
            let proxied = Self.proxyHeaders.contains { request.headers[$0] != nil }
            return proxied ? closedPage(proxied: true) : nil
        case .closed:
            return closedPage(proxied: false)
        case .password(let password):
            let client = context.clientIP(request) ?? "unknown"
            if let wait = throttle.blockedFor(client, now: now()) {
                var headers = HTTPFields()
                headers[.retryAfter] = String(Int(wait.rounded(.up)))
                return Response(status: .tooManyRequests, headers: headers)
            }
            if let header = request.headers[.authorization], let given = Self.password(in: header),
                Self.equalInConstantTime(given, password)
            {
                throttle.reset(client)
                return nil
            }
            // A request without credentials is a browser asking for the prompt, not a guess.
            if request.headers[.authorization] != nil { throttle.count(client, now: now()) }
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Basic realm=\"nurture\", charset=\"UTF-8\""
            headers[.cacheControl] = "no-store"
            return Response(status: .unauthorized, headers: headers)
        }
    }

    private func closedPage(proxied: Bool) -> Response {
        let why =
            proxied
            ? "this request came through a proxy, so it may come from anywhere"
            : "serve is listening beyond this machine"
        return Page.html(
            Page.document(
                title: "Closed",
                body: """
                    <h1>Previews and reports are closed</h1>
                    <p>\(Page.escape(why)); set NURTURE_ADMIN_PASSWORD to open these pages with a password.</p>
                    """), status: .forbidden)
    }

    static func password(in header: String) -> String? {
        if header.hasPrefix("Bearer ") { return String(header.dropFirst(7)) }
        guard header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
            let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        else { return nil }
        return String(pair[pair.index(after: colon)...])
    }

    /// Compares digests, so the time taken says nothing about how much of the password matched.
    static func equalInConstantTime(_ a: String, _ b: String) -> Bool {
        let left = SHA256.hash(data: Data(a.utf8))
        let right = SHA256.hash(data: Data(b.utf8))
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
