import Foundation
import NurtureTestSupport
import Testing

/// Issue 15.5: the report page in a real headless Chromium at a desktop's and a phone's
/// width: the charts with axes, values and legends, every table, everything escaped,
/// and no sideways scrolling. Screenshots are kept in .build/screenshots/ to look at.
@Suite(.serialized) struct ReportPageTests {
    let project: TemporaryDirectory
    let hostile = "<script>document.title='pwned'</script>"

    init() throws {
        project = try TemporaryDirectory("nurture-report-page")
        try project.write(
            "templates/welcome.html.mustache",
            "<p>Hi {{first_name}}, <a href=\"https://acme.example/start?a=1&amp;b=2\">start</a></p>")
        try project.write(
            "templates/welcome-b.html.mustache",
            "<p>Hi {{first_name}}, <a href=\"https://acme.example/b\">see B</a></p>")
        try project.write(
            "campaigns/c.yml",
            """
            name: "\(hostile) & friends"
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            exit_on: [purchased]
            steps:
              - id: welcome
                template: welcome
                variants:
                  - { id: a, subject: "Welcome" }
                  - { id: b, subject: "Welcome (B)", template: welcome-b }
              - { id: later, wait: 1d, subject: Later, template: welcome }
            """)
        try project.write("nurture.yml", "stages:\n  - { id: engaged, when: { has_tag: trial } }\n")
        let rows = (1...12).map { "p\($0)@example.com,P\($0),trial,\($0 % 3 == 0 ? hostile : "ads"),cpc" }
        try project.write(
            "leads.csv", "email,first_name,tags,utm_source,utm_medium\n" + rows.joined(separator: "\n") + "\n")
    }

    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    @Test func theDashboardShowsEveryPartEscapedAtBothWidths() async throws {
        try #require(HeadlessChromium.isInstalled, "Debian's chromium is needed (scripts/install-deps.sh installs it)")
        let port = try freeLoopbackPort()
        let environment = ["NURTURE_BASE_URL": "http://127.0.0.1:\(port)"]
        #expect(try nurture("leads", "import", "leads.csv").status == 0)
        let sent = try nurture("run", "--once", environment: environment)
        #expect(sent.stdout.contains("sent 12,"), "\(sent.stdout)\(sent.stderr)")
        let server = try await ServeProcess(in: project.url, port: port, environment: environment)
        defer { server.stop() }
        // A person clicks in one message, after the first seconds a scanner would take.
        try await Task.sleep(for: .seconds(2.2))
        let outbox = project.url.appendingPathComponent("outbox")
        let first = try String(
            contentsOf: outbox.appendingPathComponent(
                try #require(
                    try FileManager.default.contentsOfDirectory(atPath: outbox.path).sorted().first {
                        $0.contains("welcome")
                    })), encoding: .utf8
        )
        .replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        let click = try #require(
            first.components(separatedBy: "\(server.baseURL)/c/").dropFirst().last.map {
                "\(server.baseURL)/c/" + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        #expect(try Curl.fetch(["-A", firefox, click]).status == 302)
        #expect(try nurture("event", "p1@example.com", "purchased").status == 0)

        let folder = try PageProbe.screenshotFolder()
        for width in [1280, 390] {
            let page = try PageProbe.load(
                "\(server.baseURL)/report?by=day", width: width,
                screenshot: folder.appendingPathComponent("report-\(width).png"))
            #expect(
                page.scrollWidth <= page.clientWidth,
                "no sideways scrolling at \(width) px: \(page.scrollWidth) > \(page.clientWidth), \(page.widest)")
            #expect(page.title == "Report", "no script ran")
            let html = page.html
            #expect(!html.contains("<script"), "no script element at all")
            #expect(
                html.contains("<h2>&lt;script&gt;document.title='pwned'&lt;/script&gt; &amp; friends"),
                "the campaign's name, as text")
            // The funnel: a group per step, values at the bars, an axis with round numbers and a title, a legend.
            #expect(html.contains("<svg class=\"chart funnel\""))
            #expect(html.contains(">welcome</text>") && html.contains(">later</text>"))
            #expect(page.count("<text class=\"value\"") >= 10, "every bar has its value")
            #expect(
                html.contains("<text class=\"tick\"") && html.contains(">0</text>")
                    && html.contains("messages (opened, clicked: by a person)"))
            #expect(page.count("<ul class=\"legend\">") == 2 && html.contains("</i>unsubscribed</li>"))
            // Over time: columns with a value axis and the period under them.
            #expect(html.contains("<svg class=\"chart columns\"") && html.contains("<text class=\"period\""))
            // The per-step table has every column of `nurture report`.
            for column in [
                "sent", "failed", "bounced", "skipped", "retrying", "unknown", "opened", "open rate", "clicked",
                "click rate",
                "machine opens", "machine clicks", "unsubscribed", "converted", "conversion rate",
            ] {
                #expect(html.contains("data-label=\"\(column)\""), "column \(column)")
            }
            #expect(html.contains("<td data-label=\"step\">welcome</td><td class=\"n\" data-label=\"sent\">12</td>"))
            // Variants, links (the URL escaped), sources (a hostile source shown as text).
            #expect(
                html.contains("<table class=\"data variants\">") && html.contains("data-label=\"variant\">a</td>")
                    && html.contains("data-label=\"variant\">b</td>"))
            #expect(html.contains("welcome: no winner rule; leads are split evenly"))
            #expect(html.contains("https://acme.example/start?a=1&amp;b=2") || html.contains("https://acme.example/b"))
            #expect(html.contains("<td class=\"n\" data-label=\"people\">1</td>"), "the person's click")
            #expect(
                html.contains("data-label=\"source\">ads</td>") && html.contains("data-label=\"source\">&lt;script&gt;")
            )
            #expect(html.contains("data-label=\"engaged\">"), "a column per stage")
        }
    }
}
