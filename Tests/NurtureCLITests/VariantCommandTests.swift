import Foundation
import NurtureTestSupport
import Testing

/// Issue 15.4 with the built binary: two variants split leads evenly, every message
/// records its variant, and a winner picked in the file goes to later leads only.
@Suite struct VariantCommandTests {
    let project: TemporaryDirectory

    static func campaign(winner: String = "") -> String {
        """
        id: ab
        from: "Ada <ada@acme.example>"
        enroll: { tags: [ab] }
        steps:
          - id: welcome
            template: welcome
            variants:
              - { id: a, subject: "Welcome, {{first_name}}!" }
              - { id: b, subject: "{{first_name}}, your trial is ready", template: welcome-b }
        \(winner)
          - id: later
            wait: 2d
            subject: "Still there?"
            template: welcome
        """
    }

    init() throws {
        project = try TemporaryDirectory("nurture-variants")
        try project.write("campaigns/ab.yml", Self.campaign())
        try project.write("templates/welcome.txt.mustache", "Hello {{first_name}}, this is A.\n{{unsubscribe_url}}\n")
        try project.write(
            "templates/welcome-b.txt.mustache", "Hello {{first_name}}, this is B & <b>.\n{{unsubscribe_url}}\n")
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    /// Subject lines of the messages in outbox/, counted.
    func subjects() -> [String: Int] {
        let folder = project.url.appendingPathComponent("outbox")
        var counts: [String: Int] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            let text = (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
            let subject = text.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") } ?? "none"
            counts[
                subject.hasSuffix("your trial is ready") ? "b" : subject.hasPrefix("Subject: Welcome,") ? "a" : subject,
                default: 0] += 1
        }
        return counts
    }

    func importLeads(_ range: ClosedRange<Int>) throws {
        let rows = range.map { "lead\($0)@example.com,Lead\($0),ab" }.joined(separator: "\n")
        try project.write("leads-\(range.lowerBound).csv", "email,first_name,tags\n\(rows)\n")
        let imported = try nurture("leads", "import", "leads-\(range.lowerBound).csv")
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    func variantRows() throws -> [String: Int] {
        let report = try nurture("report", "ab", "--variants", "--format", "json")
        #expect(report.status == 0, "\(report.stderr)")
        let campaigns = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [[String: Any]] ?? []
        let rows = campaigns.first?["variants"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["variant"] as? String ?? "", $0["sent"] as? Int ?? -1) })
    }

    @Test func variantsSplitLeadsEvenlyAndAPickedWinnerGoesToLaterLeadsOnly() throws {
        let validated = try nurture("validate")
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout.contains("2 templates"))
        let preview = try nurture("preview", "ab", "welcome", "--attr", "first_name=Zoe")
        #expect(preview.stdout.contains("== variant a ==\nSubject: Welcome, Zoe!"), "\(preview.stdout)")
        #expect(preview.stdout.contains("== variant b ==\nSubject: Zoe, your trial is ready"))
        #expect(preview.stdout.contains("this is B & <b>."), "a text part is not HTML-escaped")
        #expect(
            try nurture("preview", "ab", "welcome", "--variant", "b").stdout.hasPrefix("Subject: , your trial is ready")
        )
        #expect(
            try nurture("preview", "ab", "welcome", "--variant", "c").stderr.contains(
                "step 'welcome' has no variant 'c';"))

        try importLeads(1...400)
        let first = try nurture("run", "--once")
        #expect(first.status == 0, "\(first.stderr)")
        let split = subjects()
        #expect(split.values.reduce(0, +) == 400)
        let a = split["a"] ?? 0
        #expect(a >= 170 && a <= 230 && (split["b"] ?? 0) == 400 - a, "an even split of 400: \(split)")
        #expect(try variantRows() == ["a": a, "b": 400 - a], "every message records its variant")
        let table = try nurture("report", "ab")
        #expect(table.stdout.contains("welcome: no winner rule; leads are split evenly"), "\(table.stdout)")

        // The file picks b: plan says so, the next run records it, later leads get it.
        try project.write("campaigns/ab.yml", Self.campaign(winner: "    winner: { pick: b }"))
        let plan = try nurture("plan")
        #expect(
            plan.stdout.contains(
                "step 'welcome': the file picks variant 'b'; from the next run every later lead gets it"),
            "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("step 'welcome' tests variants a, b (sent: a \(a), b \(400 - a))"))
        try importLeads(401...500)
        let second = try nurture("run", "--once")
        #expect(second.stdout.contains("A/B winner ab/welcome: b"), "\(second.stdout)")
        let after = subjects()
        #expect(
            after["a"] == a && after["b"] == 500 - a,
            "the 100 later leads all got b; nobody got a second welcome: \(after)")
        #expect(try variantRows() == ["a": a, "b": 500 - a])
        let report = try nurture("report", "ab")
        #expect(report.stdout.contains("welcome: winner b (picked in the campaign file) since"), "\(report.stdout)")
        #expect(try nurture("run", "--once").stdout.contains("A/B winner") == false, "recorded once")
    }

    @Test func thePreviewPageRendersEachVariantAndLeadsShowTheirs() async throws {
        try importLeads(1...2)
        #expect(try nurture("run", "--once").status == 0)
        let shown = try nurture("leads", "show", "lead1@example.com").stdout
        #expect(
            shown.contains("ab/welcome (variant a)  sent") || shown.contains("ab/welcome (variant b)  sent"), "\(shown)"
        )
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let index = try Curl.fetch(["\(server.baseURL)/preview"]).body
        #expect(index.contains("href=\"/preview/ab/welcome?variant=a\">a</a>: Welcome, {{first_name}}!"), "\(index)")
        #expect(index.contains("href=\"/preview/ab/welcome?variant=b\">b</a>: {{first_name}}, your trial is ready"))
        let b = try Curl.fetch(["\(server.baseURL)/preview/ab/welcome?variant=b&email=lead2%40example.com"]).body
        #expect(b.contains("Subject: <strong class=\"subject\">Lead2, your trial is ready</strong>"), "\(b)")
        #expect(b.contains("this is B &amp; &lt;b&gt;."), "the text part, escaped")
        #expect(
            b.contains(
                "<a href=\"/preview/ab/welcome?email=lead2@example.com&amp;variant=a\">a</a> · <strong>b</strong>"))
        #expect(try Curl.fetch(["\(server.baseURL)/preview/ab/welcome?variant=z"]).status == 404)
        let first = try Curl.fetch(["\(server.baseURL)/preview/ab/welcome"]).body
        #expect(
            first.contains("Subject: <strong class=\"subject\">Welcome, Preview!</strong>"),
            "the first variant by default")
    }

    @Test func validateChecksVariantsLikeSteps() throws {
        try project.write(
            "campaigns/ab.yml",
            """
            id: ab
            from: "Ada <ada@acme.example>"
            steps:
              - id: welcome
                subject: "Hi {{first_name}}"
                variants:
                  - { id: a, template: welcome }
                  - { id: a, template: welcome-b }
                  - { id: c, template: missing, subject: "{{#broken}}" }
                  - { id: d }
                winner: { pick: z }
            """)
        let result = try nurture("validate")
        #expect(result.status != 0)
        let errors = result.stderr
        #expect(
            errors.contains(
                "campaigns/ab.yml:8:15: error: variant id 'a' is used twice in step 'welcome' (first at line 7)"),
            "\(errors)")
        #expect(errors.contains("campaigns/ab.yml:9:28: error: template 'missing' does not exist"))
        #expect(errors.contains("campaigns/ab.yml:9:46: error: the subject has a template syntax error"))
        #expect(errors.contains("campaigns/ab.yml:10:9: error: variant 'd' of step 'welcome' has no template"))
        #expect(errors.contains("campaigns/ab.yml:11:21: error: step 'welcome' has no variant 'z' to pick"))
    }
}
