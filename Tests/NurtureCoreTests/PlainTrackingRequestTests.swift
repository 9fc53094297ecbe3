import NurtureCore
import Testing

/// The plain case of a tracking request, read from raw bytes: recognised exactly, and
/// everything else left to the full HTTP parser.
@Suite struct PlainTrackingRequestTests {
    func read(_ text: String) -> PlainTrackingRequest.Reading {
        Array(text.utf8).withUnsafeBytes { PlainTrackingRequest.read($0) }
    }

    func plain(_ text: String) -> PlainTrackingRequest? {
        if case .plain(let request) = read(text) { return request }
        return nil
    }

    let click = "GET /c/YzoxLjAuaHR0cHM.RM31DE7W-_x HTTP/1.1\r\n"

    @Test func readsTheFieldsARecordNeeds() throws {
        let head =
            click
            + "Host: t.example\r\nUser-Agent: Mozilla/5.0 (X11)\r\naccept: */*\r\nsec-purpose: prefetch\r\nPurpose: other\r\nX-Forwarded-For: 10.0.0.1, 192.0.2.7\r\n\r\n"
        let request = try #require(plain(head + "GET /o/next"))
        #expect(!request.isHead && request.path == "/c/YzoxLjAuaHR0cHM.RM31DE7W-_x")
        #expect(request.userAgent == "Mozilla/5.0 (X11)" && request.purpose == "prefetch")
        #expect(request.forwardedFor == "10.0.0.1, 192.0.2.7" && request.length == head.utf8.count)
        let pixel = try #require(plain("HEAD /o/abc.def HTTP/1.1\r\nHost: t\r\nPurpose: prefetch\r\n\r\n"))
        #expect(pixel.isHead && pixel.path == "/o/abc.def" && pixel.purpose == "prefetch" && pixel.userAgent == nil)
        #expect(plain("GET /o/abc HTTP/1.1\r\nHost: t\r\n\r\n")?.length == 32)
    }

    @Test func waitsForTheRestOfAPlainStart() {
        for cut in [0, 1, 3, 5, 10, click.utf8.count, click.utf8.count + 8] {
            #expect(read(String((click + "Host: a\r\n\r\n").utf8.prefix(cut))!) == .incomplete, "cut at \(cut)")
        }
        #expect(read("HEAD /o") == .incomplete)
    }

    @Test(arguments: [
        "POST /c/abc HTTP/1.1\r\n\r\n",
        "GET /u/abc HTTP/1.1\r\n\r\n",
        "GET /healthz HTTP/1.1\r\n\r\n",
        "\r\nGET /c/abc HTTP/1.1\r\n\r\n",
        "GET /c/abc?x=1 HTTP/1.1\r\n\r\n",
        "GET /c/a%2Fb HTTP/1.1\r\n\r\n",
        "GET /c/abc HTTP/1.0\r\n\r\n",
        "GET /c/abc  HTTP/1.1\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent: a\r\nuser-agent: b\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent: a\r\n folded\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent : a\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent: a \r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent: a\u{1}b\r\n\r\n",
        "GET /c/abc HTTP/1.1\nHost: a\r\n\r\n",
        "GET /c/abc HTTP/1.1\nHost: a\n\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\n\n",
        "GET /c/abc HTTP/1.1\r\nUser-Agent: a\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET /c/abc HTTP/1.1\r\nHost: a\r\nUser-Agent: a\nb\r\n\r\n",
    ])
    func leavesEverythingElseToTheFullParser(_ head: String) {
        #expect(read(head) == .notPlain)
    }

    @Test func givesUpOnAHeadPastTheLimit() {
        let long = click + "Cookie: " + String(repeating: "x", count: PlainTrackingRequest.limit)
        #expect(read(long) == .notPlain)
    }
}
