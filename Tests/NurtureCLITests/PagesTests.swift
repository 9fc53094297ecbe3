import Foundation
import NurtureTestSupport
import Testing

/// The preview and report pages in a real headless Chromium, and the capture form.
@Suite(.serialized) struct PagesTests {
    let project: TemporaryDirectory
    let hostile = "<script>document.title='pwned'</script>"

    init() throws {
        project = try TemporaryDirectory("nurture-pages")
        try project.write(
            "templates/one.html.mustache",
            "<html><body><h1 id=\"greeting\">Hello {{first_name}}</h1><p><a href=\"https://acme.example/\">Acme</a></p></body></html>"
        )
        try project.write("templates/one.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "campaigns/c.yml",
            """
            name: Trial welcome
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: one, subject: "Welcome, {{first_name}}", template: one }
              - { id: two, wait: 1d, subject: Two, template: one }
            """)
        try project.write("nurture.yml", "subscribe:\n  tags: [trial, newsletter]\n  default_tags: [web]\n")
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    @Test func previewAndReportRenderInChromiumWithEverythingEscaped() async throws {
        try #require(HeadlessChromium.isInstalled, "Debian's chromium is needed (scripts/install-deps.sh installs it)")
        #expect(try nurture("leads", "add", "x@example.com", "--first-name", hostile, "--tag", "trial").status == 0)
        #expect(try nurture("leads", "add", "y@example.com", "--first-name", "Yan", "--tag", "trial").status == 0)
        #expect(try nurture("run", "--once").stdout.contains("sent 2,"))
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }

        let index = try HeadlessChromium.dumpDOM("\(server.baseURL)/preview")
        #expect(index.contains("Trial welcome"))
        #expect(index.contains("href=\"/preview/c/one\""))

        let page = try HeadlessChromium.dumpDOM("\(server.baseURL)/preview/c/one?email=x%40example.com")
        #expect(page.contains("<title>Preview: c/one</title>"), "no script ran and retitled the page")
        #expect(!page.contains("pwned</title>"))
        #expect(
            page.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "the lead's name is shown as text")
        #expect(!page.contains("<script>"), "no script element made it into the DOM")
        #expect(page.contains("<iframe sandbox=\"\""), "the HTML part is in a sandboxed frame")
        #expect(page.contains("Subject: <strong class=\"subject\">Welcome, &lt;script&gt;"))
        #expect(page.contains("Hello &lt;script&gt;"), "the text part, escaped")
        #expect(page.contains("List-Unsubscribe"), "the headers tab")

        let frame = try HeadlessChromium.dumpDOM("\(server.baseURL)/preview/c/one/html?email=x%40example.com")
        #expect(frame.contains("<h1 id=\"greeting\">Hello &lt;script&gt;document.title='pwned'&lt;/script&gt;</h1>"))
        let framed = try Curl.fetch(["\(server.baseURL)/preview/c/one/html?email=x%40example.com"])
        #expect(framed.header("content-security-policy")?.hasPrefix("sandbox;") == true)

        let unknown = try HeadlessChromium.dumpDOM("\(server.baseURL)/preview/c/one?email=nobody%40example.com")
        #expect(unknown.contains("No lead with email nobody@example.com; showing a sample lead."))

        let report = try HeadlessChromium.dumpDOM("\(server.baseURL)/report")
        #expect(report.contains("<svg class=\"chart funnel\""))
        #expect(report.contains("<title>one, sent: 2</title>"), "a bar per step and series, labelled")
        #expect(report.contains("<td data-label=\"step\">one</td><td class=\"n\" data-label=\"sent\">2</td>"))
    }

    @Test func serveStopsCleanlyOnSIGTERM() async throws {
        let server = try await ServeProcess(in: project.url)
        let result = try server.terminate()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("serving on http://127.0.0.1:\(server.port) "), "\(result.stderr)")
        #expect(result.stderr.contains("stopped"))
    }

    /// "serving on" is said once the port is bound; a port another program holds is a
    /// failure of the world (exit 2) that says so, not a server that seems to run.
    @Test func aPortInUseIsAnErrorNotServingOn() async throws {
        let first = try await ServeProcess(in: project.url)
        defer { first.stop() }
        let second = try NurtureBinary.run(["serve", "--port", "\(first.port)"], in: project.url)
        #expect(second.status == 2, "\(second.stderr)")
        #expect(
            second.stderr.contains("cannot listen on 127.0.0.1:\(first.port): the port is in use"), "\(second.stderr)")
        #expect(!second.stderr.contains("serving on"), "\(second.stderr)")
    }

    /// An address that is not this machine's (192.0.2.1 is TEST-NET-1, never assigned)
    /// is the same kind of failure, and says what --host takes.
    @Test func aHostNotThisMachinesIsAnError() throws {
        let result = try NurtureBinary.run(
            ["serve", "--host", "192.0.2.1", "--port", "\(try freeLoopbackPort())"], in: project.url)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(
            result.stderr.contains("this machine has no such address; --host takes one of its own"), "\(result.stderr)")
        #expect(!result.stderr.contains("serving on"), "\(result.stderr)")
    }

    @Test func pagesNeedThePasswordBeyondLoopback() async throws {
        let port = try freeLoopbackPort()
        let server = try await ServeProcess(
            in: project.url, port: port, arguments: ["--host", "0.0.0.0"],
            environment: ["NURTURE_ADMIN_PASSWORD": "hunter22"])
        defer { server.stop() }
        #expect(try Curl.fetch(["\(server.baseURL)/report"]).status == 401)
        #expect(try Curl.fetch(["-u", "admin:wrong", "\(server.baseURL)/report"]).status == 401)
        #expect(try Curl.fetch(["-u", "admin:hunter22", "\(server.baseURL)/report"]).status == 200)
        #expect(try Curl.fetch(["-H", "Authorization: Bearer hunter22", "\(server.baseURL)/preview"]).status == 200)
        #expect(try Curl.fetch(["\(server.baseURL)/subscribe"]).status == 200, "the capture form stays public")
        #expect(try Curl.fetch(["\(server.baseURL)/healthz"]).status == 200)
        // Issue 11.10: failed logins are throttled per address: the sixth wrong try within a
        // minute, and any try after it, waits (429) even with the right password.
        for _ in 0..<5 { #expect(try Curl.fetch(["-u", "admin:guess", "\(server.baseURL)/report"]).status == 401) }
        let throttled = try Curl.fetch(["-u", "admin:guess", "\(server.baseURL)/report"])
        #expect(throttled.status == 429, "after five failures in a row")
        #expect(try Curl.fetch(["-u", "admin:hunter22", "\(server.baseURL)/report"]).status == 429)
        #expect(try Curl.fetch(["\(server.baseURL)/healthz"]).status == 200)
    }

    /// Issue 11.10: behind a reverse proxy on the same host every request arrives from
    /// loopback; one that names a forwarded client is treated as remote.
    @Test func proxiedRequestsAreNotLocal() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        #expect(try Curl.fetch(["\(server.baseURL)/report"]).status == 200, "direct from this machine")
        for header in ["X-Forwarded-For: 203.0.113.9", "Forwarded: for=203.0.113.9", "X-Real-IP: 203.0.113.9"] {
            #expect(try Curl.fetch(["-H", header, "\(server.baseURL)/report"]).status == 403, "\(header)")
            #expect(try Curl.fetch(["-H", header, "\(server.baseURL)/preview"]).status == 403, "\(header)")
        }
        #expect(
            try Curl.fetch(["-H", "X-Forwarded-For: 203.0.113.9", "\(server.baseURL)/subscribe"]).status == 200,
            "public pages stay public")
    }

    @Test func subscribeCapturesValidatesAndIgnoresBots() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let url = "\(server.baseURL)/subscribe"
        let form = try Curl.fetch([url])
        #expect(form.body.contains("name=\"website\""), "the honeypot is in the form")

        let ok = try Curl.fetch([
            "--data-urlencode", "email=Zoe@Example.com", "--data-urlencode", "name=Zoë Quinn", "-d", "tags=newsletter",
            url,
        ])
        #expect(ok.status == 200)
        #expect(ok.body.contains("Thank you"))
        let shown = try nurture("leads", "show", "zoe@example.com").stdout
        #expect(shown.contains("name:       Zoë Quinn"))
        #expect(shown.contains("tags:       newsletter, web"))

        let json = try Curl.fetch(["-H", "Accept: application/json", "-d", "email=amy@example.com&tags=trial", url])
        #expect(json.status == 200)
        #expect(json.body == "{\"ok\":true}")

        let bot = try Curl.fetch(["-d", "email=bot@example.com&website=http://spam.example", url])
        #expect(bot.status == 200, "bots get the same thanks")
        #expect(try nurture("leads", "show", "bot@example.com").status == 1, "and nothing is stored")

        let bad = try Curl.fetch(["-H", "Accept: application/json", "-d", "email=not-an-address", url])
        #expect(bad.status == 400)
        #expect(bad.body.contains("valid email"))
        let badTag = try Curl.fetch(["-d", "email=eve@example.com&tags=vip", url])
        #expect(badTag.status == 400)
        #expect(badTag.body.contains("&#39;vip&#39; is not a list"))
        let huge = try Curl.fetch(["-d", "email=big@example.com&pad=" + String(repeating: "x", count: 100_000), url])
        #expect(huge.status == 413)

        // Issue 11.3: a post for a known address changes nothing about that lead (not its
        // name, tags or status), and answers exactly as for a new one.
        #expect(try nurture("unsubscribe", "zoe@example.com").status == 0)
        let again = try Curl.fetch(["-d", "email=ZOE@example.com&first_name=Mallory&tags=trial", url])
        let fresh = try Curl.fetch(["-d", "email=new@example.com&first_name=Mallory&tags=trial", url])
        #expect(
            again.status == fresh.status && again.body == fresh.body, "the same answer for a known and a new address")
        let after = try nurture("leads", "show", "zoe@example.com").stdout
        #expect(after.contains("name:       Zoë Quinn"), "\(after)")
        #expect(after.contains("tags:       newsletter, web"), "\(after)")
        #expect(after.contains("(unsubscribed"), "\(after)")
        #expect(try nurture("unsubscribe", "new@example.com").status == 0)

        // Captured leads are enrolled by their tags at the next tick.
        #expect(
            try nurture("run", "--once").stdout.contains("enrolled 1"), "amy (trial) enters; zoe (newsletter) does not")
        // Still answering after all that.
        #expect(try Curl.fetch(["\(server.baseURL)/healthz"]).status == 200)
    }
}
