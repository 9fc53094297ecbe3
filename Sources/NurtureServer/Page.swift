import Foundation
import Hummingbird
import NurtureCore

/// Small server-rendered pages: escaped everywhere, no scripts, a strict policy.
enum Page {
    static func escape(_ text: String) -> String { HTMLEntities.escape(text) }

    private static let commonStyle =
        "body{font-family:system-ui,sans-serif;padding:0 1rem;color:#1f2933}button{font-size:1rem;padding:.5rem 1.2rem}"
    /// A narrow column: confirmation pages and forms.
    static let baseStyle = commonStyle + "body{max-width:32rem;margin:4rem auto}"
    /// Tables, code and notes: the preview and report pages.
    static let wideStyle =
        commonStyle + """
            body{max-width:60rem;margin:2rem auto}
            table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #e4e7eb}
            pre{background:#f5f7fa;padding:1rem;overflow:auto;white-space:pre-wrap}.note{color:#7b8794}
            """

    static func document(title: String, body: String, style: String = baseStyle) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head><body>
        \(body)
        </body></html>
        """
    }

    /// No scripts, no frames, forms only to ourselves.
    static let strictPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func html(_ text: String, status: HTTPResponse.Status = .ok, policy: String = strictPolicy) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = policy
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A 404 without a Location: an unknown link leads nowhere.
    static var notFound: Response {
        html(document(title: "Not found", body: "<h1>This link is not valid</h1>"), status: .notFound)
    }
}
