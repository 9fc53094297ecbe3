import Foundation
import NurtureTestSupport
import Testing

/// Issue 6's acceptance: tracked links in sent mail, answered by `nurture serve`, with
/// people and machines told apart, feeding `clicked` conditions, scores and the report.
@Suite(.serialized) struct TrackingEndToEndTests {
    let project: TemporaryDirectory
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    init() throws {
        project = try TemporaryDirectory("nurture-tracking")
        try project.write(
            "templates/one.html.mustache",
            """
            <html><body><p>Hi {{first_name}}, <a href="https://acme.example/pricing?plan=pro&amp;ref=mail">see pricing</a>
            or <a href="mailto:help@acme.example">write to us</a>.</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p></body></html>
            """)
        try project.write(
            "templates/one.txt.mustache",
            "Hi {{first_name}}, see pricing: https://acme.example/pricing?plan=pro&ref=mail\n\nUnsubscribe: {{unsubscribe_url}}\n"
        )
        try project.write("templates/two.txt.mustache", "For the people who looked at pricing.\n")
        try project.write(
            "campaigns/c.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: One, template: one }
              - { id: two, wait: 1d, subject: Two, template: two, if: { clicked: one } }
            """)
        try project.write("nurture.yml", "score:\n  open: 1\n  click: 3\n  events:\n    demo: 10\n")
    }

    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    /// The message sent to `email`, with quoted-printable soft breaks undone.
    func message(to email: String) throws -> String {
        let folder = project.url.appendingPathComponent("outbox")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            if text.contains("To: \(email)") || text.contains("<\(email)>") {
                return text.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            }
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// The URLs in `text` that start with `prefix`.
    func urls(in text: String, prefix: String) -> [String] {
        text.components(separatedBy: prefix).dropFirst().map {
            prefix + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        }
    }

    /// Issue 10.7: both previews go through the code that builds sent mail (links are
    /// rewritten as in the message) and say whether the step's condition holds, and why.
    @Test func previewsShowWhatIsSentAndExplainTheCondition() async throws {
        let server = try await ServeProcess(in: project.url, environment: ["NURTURE_BASE_URL": "http://127.0.0.1:1"])
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": "http://127.0.0.1:1"]
        #expect(try nurture("leads", "add", "ann@example.com", "--first-name", "Ann", "--tag", "t").status == 0)
        #expect(try nurture("run", "--once", environment: environment).stdout.contains("sent 1,"))
        let sent = try message(to: "ann@example.com")
        #expect(sent.contains("http://127.0.0.1:1/c/"))

        let cli = try nurture(
            "preview", "c", "one", "--lead", "ann@example.com", "--format", "text", environment: environment)
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(
            cli.stdout.contains("see pricing: http://127.0.0.1:1/c/"), "links rewritten as in sent mail: \(cli.stdout)")
        #expect(!cli.stdout.contains("https://acme.example/pricing"))
        let two = try nurture("preview", "c", "two", "--lead", "ann@example.com", environment: environment)
        #expect(
            two.stderr.contains(
                "condition of step 'two' for ann@example.com: no: clicked one: no; the step would be skipped"),
            "\(two.stderr)")

        let page = try Curl.fetch(["\(server.baseURL)/preview/c/two?email=ann@example.com"])
        #expect(page.status == 200)
        #expect(page.body.contains("Condition: no: clicked one: no; the step would be skipped"), "\(page.body)")
        let framed = try Curl.fetch(["\(server.baseURL)/preview/c/one/html?email=ann@example.com"])
        #expect(framed.body.contains("http://127.0.0.1:1/c/"), "the HTML part with its links rewritten")
    }

    @Test func clicksRedirectAndOnlyHumanClicksCount() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL]
        for name in ["ann", "bob", "cid"] {
            #expect(
                try nurture("leads", "add", "\(name)@example.com", "--first-name", name.capitalized, "--tag", "t")
                    .status == 0)
        }
        let tick = try nurture("run", "--once", environment: environment)
        #expect(tick.stdout.contains("sent 3,"), "\(tick.stdout)\(tick.stderr)")
        let sentAt = Date()

        let cid = try message(to: "cid@example.com")
        // In each message: the text part's link, then the HTML part's decoy and link.
        let cidClick = try #require(urls(in: cid, prefix: "\(server.baseURL)/c/").last)
        // A click in the first two seconds after delivery: a scanner, whatever its agent.
        let early = try Curl.fetch(["-A", firefox, cidClick])
        #expect(early.status == 302)

        let ann = try message(to: "ann@example.com")
        #expect(!ann.contains("https://acme.example/pricing"), "the original link is only inside the signed token")
        #expect(ann.contains("mailto:help@acme.example"))
        #expect(ann.contains("\(server.baseURL)/u/"), "the unsubscribe link points at serve, unwrapped")
        let annLinks = urls(in: ann, prefix: "\(server.baseURL)/c/")
        #expect(annLinks.count == 3, "text link + decoy + HTML link: \(annLinks)")
        let pixel = try #require(urls(in: ann, prefix: "\(server.baseURL)/o/").first)
        let bobLink = try #require(urls(in: try message(to: "bob@example.com"), prefix: "\(server.baseURL)/c/").last)

        // Past the machine window.
        let wait = 2.3 - Date().timeIntervalSince(sentAt)
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }

        let click = try Curl.fetch(["-A", firefox, annLinks[2]])
        #expect(click.status == 302)
        #expect(click.header("location") == "https://acme.example/pricing?plan=pro&ref=mail", "query string intact")
        // Issue 10.5: the lead's story, for tools, lists the click with its link and class.
        let story =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "ann@example.com", "--format", "json").stdout.utf8))
            as? [String: Any]
        let activity = story?["activity"] as? [[String: Any]] ?? []
        #expect(
            activity.contains {
                $0["kind"] as? String == "click"
                    && $0["url"] as? String == "https://acme.example/pricing?plan=pro&ref=mail"
                    && $0["class"] as? String == "human" && $0["step"] as? String == "one"
            }, "\(activity)")
        #expect((story?["messages"] as? [[String: Any]])?.first?["state"] as? String == "sent")
        let scores = story?["score_changes"] as? [[String: Any]] ?? []
        #expect(
            scores.map { $0["points"] as? Int } == [3]
                && (scores.first?["reason"] as? String)?.contains("first click of c/one") == true, "\(scores)")
        let textClick = try Curl.fetch(["-A", firefox, annLinks[0]])
        #expect(textClick.header("location") == "https://acme.example/pricing?plan=pro&ref=mail")
        let open = try Curl.fetch(["-A", firefox, pixel])
        #expect(open.status == 200)
        #expect(open.header("content-type") == "image/gif")
        #expect(open.header("content-length") == "43")

        let scanner = try Curl.fetch(["-A", "Mozilla/5.0 (compatible; Barracuda Sentinel)", bobLink])
        #expect(scanner.status == 302, "scanners are redirected too, just not counted")

        let tampered = String(annLinks[2].dropLast(4)) + (annLinks[2].hasSuffix("AAAA") ? "BBBB" : "AAAA")
        let refused = try Curl.fetch(["-A", firefox, tampered])
        #expect(refused.status == 404)
        #expect(refused.header("location") == nil, "no open redirect")
        #expect(try Curl.fetch(["\(server.baseURL)/c/garbage"]).status == 404)
        #expect(try Curl.fetch(["\(server.baseURL)/o/\(String(repeating: "x", count: 9000))"]).status == 404)

        // Step two (if clicked: one) goes to ann alone.
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86400))
        let second = try nurture("run", "--once", "--now", later, environment: environment)
        #expect(second.stdout.contains("sent 1,"), "\(second.stdout)")
        let timeline = try nurture("leads", "show", "ann@example.com").stdout
        #expect(
            timeline.contains("score 4"), "one human open (1) + one human click (3), each once per message: \(timeline)"
        )
        #expect(try nurture("leads", "show", "bob@example.com").stdout.contains("score 0"))
        #expect(try nurture("leads", "show", "cid@example.com").stdout.contains("score 0"))

        let report = try nurture("report", "--format", "json")
        let campaigns = try #require(
            try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]])
        let steps = try #require(campaigns.first?["steps"] as? [[String: Any]])
        #expect(steps[0]["sent"] as? Int == 3)
        #expect(steps[0]["unique_opens"] as? Int == 1)
        #expect(steps[0]["unique_clicks"] as? Int == 1)
        #expect(steps[0]["total_clicks"] as? Int == 2)
        #expect(steps[0]["machine_clicks"] as? Int == 2, "cid's early click and bob's scanner")
        #expect(steps[1]["sent"] as? Int == 1)
        #expect(steps[1]["skipped"] as? Int == 2)
        let table = try nurture("report").stdout
        #expect(table.contains("33.3%"), "open and click rate of step one: \(table)")

        let metrics = try Curl.fetch(["\(server.baseURL)/metrics"]).body
        #expect(metrics.contains("nurture_clicks_total{class=\"human\"} 2\n"))
        #expect(metrics.contains("nurture_clicks_total{class=\"machine\"} 2\n"))
        #expect(metrics.contains("nurture_opens_total{class=\"human\"} 1\n"))

        // A goal event's points follow the score rules.
        #expect(try nurture("event", "ann@example.com", "demo").status == 0)
        #expect(try nurture("leads", "show", "ann@example.com").stdout.contains("score 14"))
    }

    /// Clicks and opens are answered ahead of the router (TrackingFastPath); requests
    /// pipelined behind one are answered in order, each exactly as the router answers it,
    /// and each recorded; a client that closes its side right after asking still gets
    /// every answer.
    @Test func pipelinedRequestsAreAnsweredInOrderAndEachRecorded() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL]
        #expect(try nurture("leads", "add", "ann@example.com", "--first-name", "Ann", "--tag", "t").status == 0)
        #expect(try nurture("run", "--once", environment: environment).stdout.contains("sent 1,"))
        let ann = try message(to: "ann@example.com")
        let click = String(
            try #require(urls(in: ann, prefix: "\(server.baseURL)/c/").last).dropFirst(server.baseURL.count))
        let pixel = String(
            try #require(urls(in: ann, prefix: "\(server.baseURL)/o/").first).dropFirst(server.baseURL.count))
        func get(_ path: some StringProtocol, method: String = "GET") -> String {
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: \(firefox)\r\n\r\n"
        }
        // Past the machine window, so that the clicks count as a person's.
        try await Task.sleep(for: .milliseconds(2300))

        let answer = try RawHTTP.exchange(
            port: server.port,
            get(click) + get("/healthz") + get(pixel, method: "HEAD") + get(click) + get("/c/garbage") + get(pixel),
            halfClose: true)
        #expect(
            RawHTTP.statusLines(answer) == [
                "HTTP/1.1 302 Found", "HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 302 Found",
                "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK",
            ], "\(answer)")
        let parts: [String] = Array(answer.components(separatedBy: "HTTP/1.1 ").dropFirst())
        #expect(parts[0].contains("Location: https://acme.example/pricing?plan=pro&ref=mail\r\n"))
        #expect(parts[0].contains("Server: nurture\r\n") && parts[0].contains("Date: "))
        #expect(parts[1].hasSuffix("\r\n\r\nok\n"))
        #expect(
            parts[2].contains("Content-Length: 43\r\n") && parts[2].hasSuffix("\r\n\r\n"), "HEAD: the length, no body")
        #expect(
            parts[5].contains("Content-Type: image/gif\r\n") && parts[5].contains("\r\n\r\nGIF89a"), "GET: the image")

        // One request, then the client closes its side at once: answered all the same.
        let alone = try RawHTTP.exchange(port: server.port, get(click), halfClose: true)
        #expect(RawHTTP.statusLines(alone) == ["HTTP/1.1 302 Found"], "\(alone)")

        let story =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "ann@example.com", "--format", "json").stdout.utf8))
            as? [String: Any]
        let activity = story?["activity"] as? [[String: Any]] ?? []
        #expect(
            activity.filter { $0["kind"] as? String == "click" && $0["class"] as? String == "human" }.count == 3,
            "\(activity)")
        #expect(
            activity.filter { $0["kind"] as? String == "open" }.count == 2,
            "the GET and the HEAD (a machine's): \(activity)")
    }

    /// Issue 41.9: requests the fast paths used to take wrongly get what the HTTP stack
    /// answers any path: bare-LF line ends and a missing or repeated Host (RFC 9112
    /// §3.2) a 400 at once, not a 30 s wait or a redirect; an HTTP/1.0 request without
    /// keep-alive its answer and the connection closed (§9.3).
    @Test func oddRequestShapesGetWhatTheStackAnswersEverywhere() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        #expect(try nurture("leads", "add", "eve@example.com", "--first-name", "Eve", "--tag", "t").status == 0)
        #expect(
            try nurture("run", "--once", environment: ["NURTURE_BASE_URL": server.baseURL]).stdout.contains("sent 1,"))
        let click = String(
            try #require(urls(in: try message(to: "eve@example.com"), prefix: "\(server.baseURL)/c/").last).dropFirst(
                server.baseURL.count))
        for path in [click, "/healthz"] {
            let bareLF = try RawHTTP.exchange(
                port: server.port, "GET \(path) HTTP/1.1\nHost: 127.0.0.1\n\n", halfClose: false, quiet: 3)
            #expect(RawHTTP.statusLines(bareLF).first?.hasPrefix("HTTP/1.1 400") == true, "\(path), bare LF: \(bareLF)")
            let noHost = try RawHTTP.exchange(
                port: server.port, "GET \(path) HTTP/1.1\r\nUser-Agent: x\r\n\r\n", halfClose: true)
            #expect(RawHTTP.statusLines(noHost) == ["HTTP/1.1 400 Bad Request"], "\(path), no Host: \(noHost)")
            let twoHosts = try RawHTTP.exchange(
                port: server.port, "GET \(path) HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", halfClose: true
            )
            #expect(RawHTTP.statusLines(twoHosts) == ["HTTP/1.1 400 Bad Request"], "\(path), two Hosts: \(twoHosts)")
            // HTTP/1.0 without keep-alive: one answer, then the server closes (the second
            // request, sent on the same connection, is never answered).
            let old = try RawHTTP.exchange(
                port: server.port,
                "GET \(path) HTTP/1.0\r\nUser-Agent: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                halfClose: false, quiet: 3)
            let statuses = old.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.") }
            #expect(statuses.count == 1, "\(path), HTTP/1.0: \(old)")
        }
    }

    /// Plain tracking requests on a fresh connection are answered from its bytes
    /// (`TrackingWirePath`); after another request, by the HTTP stack. The answers are
    /// the same bytes, Date aside; and a connection kept open after such an answer does
    /// not hold up a graceful shutdown.
    @Test func wireAnswersAreTheHTTPStacksAndShutdownClosesTheirConnections() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        #expect(try nurture("leads", "add", "eve@example.com", "--first-name", "Eve", "--tag", "t").status == 0)
        #expect(
            try nurture("run", "--once", environment: ["NURTURE_BASE_URL": server.baseURL]).stdout.contains("sent 1,"))
        let eve = try message(to: "eve@example.com")
        let click = String(
            try #require(urls(in: eve, prefix: "\(server.baseURL)/c/").last).dropFirst(server.baseURL.count))
        let pixel = String(
            try #require(urls(in: eve, prefix: "\(server.baseURL)/o/").first).dropFirst(server.baseURL.count))
        func get(_ path: some StringProtocol, method: String = "GET") -> String {
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: \(firefox)\r\nAccept: */*\r\n\r\n"
        }
        func answers(_ raw: String) -> [String] {
            raw.components(separatedBy: "HTTP/1.1 ").dropFirst().map { answer in
                answer.replacing(/Date: [^\r]*\r\n/, with: "Date: -\r\n")
            }
        }
        let tracked = get(click) + get(pixel) + get(pixel, method: "HEAD")
        let wire = answers(try RawHTTP.exchange(port: server.port, tracked, halfClose: true))
        let stack = answers(try RawHTTP.exchange(port: server.port, get("/healthz") + tracked, halfClose: true))
        #expect(wire.count == 3 && stack.count == 4, "\(wire) \(stack)")
        #expect(wire == Array(stack.dropFirst()))
        #expect(
            wire.first?.hasPrefix("302 Found\r\n") == true && wire.first?.contains("Content-Length: 0\r\n") == true,
            "\(wire)")

        // A reader's browser keeps its connection open after the redirect: SIGTERM still
        // stops serve at once (an answer being recorded would be written first).
        let kept = Task.detached { try RawHTTP.exchange(port: server.port, get(click), halfClose: false, quiet: 15) }
        try await Task.sleep(for: .milliseconds(500))
        let stopped = try server.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(RawHTTP.statusLines(try await kept.value) == ["HTTP/1.1 302 Found"])
    }

    @Test func theDecoyUnmasksAScannerAndHeadIsMachine() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        #expect(try nurture("leads", "add", "dan@example.com", "--first-name", "Dan", "--tag", "t").status == 0)
        #expect(try nurture("run", "--once", environment: ["NURTURE_BASE_URL": server.baseURL]).status == 0)
        let links = urls(in: try message(to: "dan@example.com"), prefix: "\(server.baseURL)/c/")
        try await Task.sleep(for: .milliseconds(2300))
        // A scanner with a browser's agent follows a real link, then the hidden one.
        #expect(try Curl.fetch(["-A", firefox, links[2]]).status == 302)
        #expect(try nurture("leads", "show", "dan@example.com").stdout.contains("score 3"))
        #expect(try Curl.fetch(["-A", firefox, links[1]]).status == 200)
        #expect(try nurture("leads", "show", "dan@example.com").stdout.contains("score 0"), "the click was taken back")
        #expect(try Curl.fetch(["-I", "-A", firefox, links[0]]).status == 302)
        let steps = try #require(
            (try JSONSerialization.jsonObject(with: Data(try nurture("report", "--format", "json").stdout.utf8))
                as? [[String: Any]])?.first?["steps"]
                as? [[String: Any]])
        #expect(steps[0]["unique_clicks"] as? Int == 0)
        #expect(steps[0]["machine_clicks"] as? Int == 3)
    }
}
