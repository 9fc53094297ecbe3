import Foundation
import NurtureTestSupport
import Testing

/// Issue 14.3 with the built binary: where leads came from, first touch, from a CSV,
/// `leads add`, and the capture form, reported by source.
@Suite struct SourceCommandTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-sources")
        try Repository.copyExample(into: project)
        try project.write(
            "nurture.yml",
            "subscribe:\n  tags: [newsletter]\nstages:\n  - { id: engaged, when: { has_tag: newsletter } }\n")
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    /// Issue 36.5: the fields `subscribe.fields` lists become attributes (or the time
    /// zone), bounded like CSV cells; every other field is dropped. Fit rules read them.
    @Test func theFormKeepsTheFieldsItIsToldTo() async throws {
        try project.write(
            "nurture.yml",
            """
            subscribe:
              tags: [newsletter]
              fields: [company, title, employees, timezone]
            score:
              fit:
                - { attribute: employees, at_least: 200, points: 20 }

            """)
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let url = "\(server.baseURL)/subscribe"
        let posted = try Curl.fetch([
            "-d",
            "email=cto@bigco.example&company=BigCo&title=CTO&employees=5000&timezone=Europe%2FBerlin&is_admin=yes", url,
        ])
        #expect(posted.status == 200, "\(posted.body)")
        let tooLong = try Curl.fetch([
            "-d", "email=x@bigco.example&company=" + String(repeating: "a", count: 1001), url,
        ])
        #expect(
            tooLong.status == 400 && tooLong.body.contains("company is longer than 1000 characters"), "\(tooLong.body)")
        let unknownZone = try Curl.fetch(["-d", "email=y@bigco.example&company=Y&timezone=Mars%2FOlympus", url])
        #expect(unknownZone.status == 200, "a zone this machine does not know is dropped, the lead kept")
        server.stop()
        let shown =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "cto@bigco.example", "--format", "json").stdout.utf8))
            as? [String: Any]
        let lead = (shown?["lead"] as? [String: Any]) ?? shown ?? [:]
        #expect(
            lead["attributes"] as? [String: String] == ["company": "BigCo", "title": "CTO", "employees": "5000"],
            "\(lead)")
        #expect(lead["timezone"] as? String == "Europe/Berlin", "\(lead)")
        #expect(
            try nurture("leads", "show", "cto@bigco.example").stdout.contains("fit 20"),
            "the form's employees count for fit")
        #expect(try nurture("leads", "show", "x@bigco.example").status == 1, "refused: not stored")
        #expect(try nurture("leads", "show", "y@bigco.example").stdout.contains("(active"))
    }

    /// Issue 41.7: one client cannot post the form again and again (signup bombing).
    @Test func oneClientIsLimitedPerMinute() async throws {
        try project.write("nurture.yml", "subscribe:\n  tags: [newsletter]\n  per_client_per_minute: 3\n")
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let url = "\(server.baseURL)/subscribe"
        for index in 0..<3 {
            #expect(try Curl.fetch(["-d", "email=bomb\(index)@example.com", url]).status == 200)
        }
        let refused = try Curl.fetch(["-d", "email=bomb3@example.com", url])
        #expect(refused.status == 429, "\(refused.body)")
        #expect(Int(refused.header("retry-after") ?? "") ?? 0 > 0)
        #expect(try nurture("leads", "show", "bomb3@example.com").status == 1, "nothing stored past the limit")
        #expect(try nurture("leads", "show", "bomb2@example.com").status == 0)
    }

    @Test func theFormsCapturesAreReportedUnderTheirSource() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let url = "\(server.baseURL)/subscribe"
        // From hidden form fields, and from the query string of the page that posted the form.
        #expect(
            try Curl.fetch([
                "-d", "email=ann@example.com&utm_source=ads&utm_medium=cpc&utm_campaign=spring&tags=newsletter", url,
            ]).status == 200)
        #expect(
            try Curl.fetch([
                "-H", "Referer: https://acme.example/join?utm_source=ads&utm_medium=cpc&utm_campaign=spring", "-d",
                "email=bo@example.com", url,
            ]).status == 200)
        #expect(
            try Curl.fetch([
                "-H", "Referer: https://acme.example/join?ref=x", "-d", "email=cy@example.com&utm_source=newsletter",
                url,
            ]).status == 200)
        // A later capture of a known lead keeps its first touch.
        #expect(try Curl.fetch(["-d", "email=ann@example.com&utm_source=partner", url]).status == 200)
        server.stop()

        // The CSV and leads add: a lead with a source keeps it; one without gets one.
        try project.write(
            "more.csv", "email,utm_source,utm_medium\nann@example.com,csv,file\ndee@example.com,webinar,event\n")
        #expect(try nurture("leads", "import", "more.csv").status == 0)
        #expect(try nurture("leads", "add", "eve@example.com", "--source", "referral").status == 0)
        #expect(try nurture("leads", "add", "eve@example.com", "--source", "ads").status == 0)
        #expect(try nurture("leads", "show", "ann@example.com").stdout.contains("source:     ads / cpc / spring"))
        #expect(try nurture("leads", "show", "eve@example.com").stdout.contains("source:     referral / - / -"))
        // Ann converts: she joins the trial drip and buys.
        #expect(try nurture("leads", "add", "ann@example.com", "--tag", "trial").status == 0)
        // At a fixed Tuesday 10:00 in New York: the example campaign sends only in office
        // hours, and a plain run at night would send nothing.
        #expect(
            try nurture("run", "--once", "--now", "2030-01-08T15:00:00Z").status == 0,
            "checks stages: ann joined the newsletter; enrols her in the trial")
        #expect(try nurture("event", "ann@example.com", "purchased").stdout.contains("converted in trial-onboarding"))

        // Over time: the trial drip's week, with ann's conversion credited to the welcome.
        let weekly = try nurture("report", "trial-onboarding", "--by", "week", "--format", "json")
        let periods =
            (try JSONSerialization.jsonObject(with: Data(weekly.stdout.utf8)) as? [[String: Any]])?.first?["rows"]
            as? [[String: Any]]
        #expect(periods?.map { $0["step"] as? String } == ["welcome"], "\(weekly.stdout)\(weekly.stderr)")
        #expect(periods?.first?["converted"] as? Int == 1 && periods?.first?["sent"] as? Int == 1)

        let report = try nurture("report", "--by", "source")
        #expect(report.status == 0, "\(report.stderr)")
        let lines = report.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(lines.first == "source leads engaged converted conv% avg score avg fit")
        #expect(lines.dropFirst().first == "ads 2 1 1 50.0% 0.0 0.0", "\(report.stdout)")
        #expect(
            lines.dropFirst(2).first == "cpc / spring 2 1 1 50.0% 0.0 0.0",
            "the source split by medium and campaign: \(report.stdout)")

        // With costs: spend of months outside the period does not count; this month's
        // counts whole for a period of the whole month (which holds today's leads).
        let today = Date().formatted(.iso8601.year().month().day())
        let month = String(today.prefix(7))
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = .gmt
        let days = try #require(utc.range(of: .day, in: .month, for: Date())).count
        try project.write(
            "costs.csv", "source,amount,month\nads,100,\(month)\nads,50,2020-01\nwebinar,30,\nbillboard,500,\(month)\n")
        let priced = try nurture(
            "report", "--by", "source", "--since", "\(month)-01", "--until", "\(month)-\(String(format: "%02d", days))",
            "--costs", "costs.csv", "--format", "json")
        #expect(priced.status == 0, "\(priced.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(priced.stdout.utf8)) as? [[String: Any]] ?? []
        let bySource = Dictionary(uniqueKeysWithValues: rows.map { ($0["source"] as? String ?? "(none)", $0) })
        #expect(Set(bySource.keys) == ["ads", "newsletter", "webinar", "referral", "billboard"])
        let ads = try #require(bySource["ads"])
        #expect(ads["leads"] as? Int == 2 && ads["conversions"] as? Int == 1 && ads["spend"] as? Double == 100)
        #expect(ads["cost_per_lead"] as? Double == 50 && ads["cost_per_conversion"] as? Double == 100)
        #expect((ads["breakdown"] as? [[String: Any]])?.first?["medium"] as? String == "cpc")
        #expect(bySource["webinar"]?["cost_per_lead"] as? Double == 30)
        #expect(
            bySource["billboard"]?["leads"] as? Int == 0 && bySource["billboard"]?["cost_per_lead"] is NSNull,
            "spend that brought no lead")
        #expect(bySource["referral"]?["spend"] is NSNull, "no cost row: spend unknown, not 0")
        // A one-day period is charged one day of the month (issue 36.9).
        let oneDay = try nurture(
            "report", "--by", "source", "--since", today, "--until", today, "--costs", "costs.csv", "--format", "json")
        let oneDayRows = try JSONSerialization.jsonObject(with: Data(oneDay.stdout.utf8)) as? [[String: Any]] ?? []
        let billboard = oneDayRows.first { $0["source"] as? String == "billboard" }?["spend"] as? Double
        #expect(billboard.map { abs($0 - 500.0 / Double(days)) < 0.001 } == true, "\(oneDay.stdout)")
        let none = try nurture("report", "--by", "source", "--until", "2000-01-01", "--format", "json")
        #expect(
            (try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [Any])?.isEmpty == true,
            "no lead was captured by then")
        try project.write("bad.csv", "source,amount\nads,lots\n")
        #expect(
            try nurture("report", "--by", "source", "--costs", "bad.csv").stderr.contains(
                "bad.csv: costs file, line 2: amount 'lots' is not a number of 0 or more"))
    }
}
