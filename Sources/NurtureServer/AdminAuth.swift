import Crypto
import Foundation
import Hummingbird

/// Guards the preview and report pages. On 127.0.0.1 they are open (only this machine
/// reaches them); bound elsewhere they need `NURTURE_ADMIN_PASSWORD`, by HTTP Basic auth
/// (any user name) or `Authorization: Bearer`. Without a password set, they are closed.
struct AdminAuth: Sendable {
    enum Mode: Sendable {
        case open
        case password(String)
        case closed
    }

    let mode: Mode

    init(host: String, password: String?) {
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
        if let password, !password.isEmpty {
            mode = .password(password)
        } else {
            mode = loopback ? .open : .closed
        }
    }

    /// Nil when the request may see the page; otherwise the response to send instead.
    func refusal(for request: Request) -> Response? {
        switch mode {
        case .open: return nil
        case .closed:
            return Page.html(Page.document(title: "Closed", body: """
                <h1>Previews and reports are closed</h1>
                <p>serve is listening beyond this machine; set NURTURE_ADMIN_PASSWORD to open these pages with a password.</p>
                """), status: .forbidden)
        case .password(let password):
            if let header = request.headers[.authorization], let given = Self.password(in: header),
                Self.equalInConstantTime(given, password)
            {
                return nil
            }
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Basic realm=\"nurture\", charset=\"UTF-8\""
            headers[.cacheControl] = "no-store"
            return Response(status: .unauthorized, headers: headers)
        }
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
