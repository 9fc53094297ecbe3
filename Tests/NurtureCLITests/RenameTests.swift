import Foundation
import NurtureTestSupport
import Testing

/// Issue 10.3: a renamed step with `renamed_from` resends nothing and keeps `opened:`
/// conditions working; a rename without it is refused with the hint.
@Suite(.serialized) struct RenameTests {
    let project: TemporaryDirectory
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"

    init() throws {
        project = try TemporaryDirectory("nurture-rename")
        try project.write("templates/one.txt.mustache", "One\n")
        try project.write("templates/cs.html.mustache", "<p>How Acme did it.</p>\n")
        try project.write("templates/cs.txt.mustache", "How Acme did it.\n")
        try project.write("templates/three.txt.mustache", "For readers of the story.\n")
    }

    func campaign(caseStudy: String, condition: String) throws {
        try project.write(
            "campaigns/webinar.yml",
            """
            id: webinar
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: One, template: one }
              - \(caseStudy)
              - { id: three, wait: 1d, subject: Three, template: three, if: { opened: \(condition) } }
            """)
    }

    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    func outbox() throws -> [String] {
        let folder = project.url.appendingPathComponent("outbox")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .map {
                try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8).replacingOccurrences(
                    of: "=\r\n", with: "")
            }
    }

    func sent(_ result: NurtureBinary.Result) -> Int? {
        result.stdout.range(of: #"sent (\d+)"#, options: .regularExpression).flatMap {
            Int(result.stdout[$0].dropFirst(5))
        }
    }

    @Test func renameWithRenamedFromResendsNothingAndKeepsConditions() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL]
        try campaign(caseStudy: "{ id: case-study, wait: 1d, subject: Story, template: cs }", condition: "case-study")
        for name in ["ann", "bob"] {
            #expect(try nurture("leads", "add", "\(name)@example.com", "--tag", "t").status == 0)
        }
        #expect(sent(try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z", environment: environment)) == 2)
        #expect(sent(try nurture("run", "--once", "--now", "2030-01-08T10:00:00Z", environment: environment)) == 2)
        // Ann opens the case study, past the machine window.
        try await Task.sleep(for: .milliseconds(2300))
        let story = try #require(try outbox().first { $0.contains("Subject: Story") && $0.contains("ann@example.com") })
        let pixel = try #require(
            story.components(separatedBy: "\(server.baseURL)/o/").dropFirst().first.map {
                "\(server.baseURL)/o/" + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        #expect(try Curl.fetch(["-A", firefox, pixel]).status == 200)

        // Renamed without saying so: validate and run refuse, with the hint.
        try campaign(
            caseStudy: "{ id: customer-story, wait: 1d, subject: Story, template: cs }", condition: "customer-story")
        let validate = try nurture("validate")
        #expect(validate.status == 1)
        #expect(
            validate.stderr.contains(
                "step 'customer-story' replaces step 'case-study' (same template cs), which 2 leads already got"),
            "\(validate.stderr)")
        #expect(validate.stderr.contains("add `renamed_from: case-study`"))
        let refused = try nurture("run", "--once", "--now", "2030-01-08T11:00:00Z", environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("add `renamed_from: case-study`"), "\(refused.stderr)")

        // With renamed_from: nothing is resent, and the opened condition (on either id) holds for Ann.
        try campaign(
            caseStudy: "{ id: customer-story, renamed_from: case-study, wait: 1d, subject: Story, template: cs }",
            condition: "customer-story")
        #expect(try nurture("validate").status == 0)
        #expect(sent(try nurture("run", "--once", "--now", "2030-01-08T12:00:00Z", environment: environment)) == 0)
        let day3 = try nurture("run", "--once", "--now", "2030-01-09T10:00:00Z", environment: environment)
        #expect(sent(day3) == 1, "\(day3.stdout)")
        let mail = try outbox()
        #expect(mail.filter { $0.contains("Subject: Story") }.count == 2, "the story went once to each lead")
        #expect(
            mail.filter { $0.contains("Subject: Three") }.map { $0.contains("ann@example.com") } == [true],
            "only Ann opened it")
        // The report keeps the story's sends and opens under its new id.
        let report =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("report", "webinar", "--format", "json").stdout.utf8)) as? [[String: Any]]
        let story2 = (report?.first?["steps"] as? [[String: Any]])?.first { $0["step"] as? String == "customer-story" }
        #expect(story2?["sent"] as? Int == 2 && story2?["unique_opens"] as? Int == 1, "\(String(describing: story2))")
        #expect(!(try nurture("plan", "--now", "2030-01-09T11:00:00Z").stdout.contains("no longer in the file")))
    }

    @Test func allowRemovedAcceptsTheNewStepAsNew() throws {
        try campaign(caseStudy: "{ id: case-study, wait: 1d, subject: Story, template: cs }", condition: "case-study")
        #expect(try nurture("leads", "add", "ann@example.com", "--tag", "t").status == 0)
        #expect(sent(try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 1)
        #expect(sent(try nurture("run", "--once", "--now", "2030-01-08T10:00:00Z")) == 1)
        try campaign(
            caseStudy: "{ id: customer-story, wait: 1d, subject: Story, template: cs }", condition: "customer-story")
        #expect(try nurture("run", "--once", "--now", "2030-01-09T10:00:00Z").status == 1)
        let accepted = try nurture("run", "--once", "--allow-removed", "--now", "2030-01-09T10:00:00Z")
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(sent(accepted) == 1, "sent as a new step, as asked")
        #expect(try nurture("validate").status == 0, "accepted once, it is the file's step from now on")
    }
}
