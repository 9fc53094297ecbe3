import Foundation
import NurtureTestSupport
import Testing

/// Issue 10.1 and 10.2: after cron stopped for days, overdue steps go out inside the
/// window in each lead's zone, `max_late` skips, and a reminder for a passed date is
/// skipped with its reason; through the built binary and a real SMTP server.
@Suite(.serialized) struct CatchUpTests {
    let project: TemporaryDirectory
    let server: SMTPTestServer

    init() throws {
        project = try TemporaryDirectory("nurture-catch-up")
        server = try SMTPTestServer()
        for name in ["one", "two", "ends"] {
            try project.write("templates/\(name).txt.mustache", "\(name) for {{first_name}}\n")
        }
    }

    @discardableResult
    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        let result = try NurtureBinary.run(arguments, in: project.url, environment: ["NURTURE_SMTP_URL": server.url])
        #expect(result.status == 0, "nurture \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    func tick(_ time: String) throws -> [String] {
        let before = try server.received().count
        try nurture("run", "--once", "--now", time)
        return try server.received().dropFirst(before).compactMap { ($0["rcpt_tos"] as? [String])?.first }.sorted()
    }

    func campaign(_ extra: String = "", steps: String) throws {
        try project.write(
            "campaigns/drip.yml",
            """
            id: drip
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            send_window: { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00" }
            \(extra)
            steps:
            \(steps)
            """)
    }

    @Test func overdueStepsWaitForEachLeadsWindowAfterAThreeDayGap() throws {
        try campaign(
            steps: """
                  - { id: one, subject: One, template: one }
                  - { id: two, wait: 1d, subject: Two, template: two }
                """)
        try nurture(
            "leads", "add", "la@example.com", "--first-name", "Lou", "--timezone", "America/Los_Angeles", "--tag", "t")
        try nurture(
            "leads", "add", "syd@example.com", "--first-name", "Sid", "--timezone", "Australia/Sydney", "--tag", "t")
        // Monday 22:00 UTC: 14:00 in Los Angeles; Tuesday 09:00 in Sydney.
        #expect(try tick("2030-01-07T22:00:00Z") == ["la@example.com", "syd@example.com"])
        // Step two fell due on Tuesday; cron stopped until Friday 03:00 UTC, which is
        // Thursday 19:00 in Los Angeles and Friday 14:00 in Sydney.
        #expect(try tick("2030-01-11T03:00:00Z") == ["syd@example.com"])
        // Los Angeles opens at 09:00 on Friday (17:00 UTC), not a minute before.
        #expect(try tick("2030-01-11T16:59:00Z") == [])
        #expect(try tick("2030-01-11T17:00:00Z") == ["la@example.com"])
        #expect(try server.received().count == 4)
    }

    @Test func maxLateSkipsAndSaysWhy() throws {
        try campaign(
            "max_late: 1d",
            steps: """
                  - { id: one, subject: One, template: one }
                  - { id: two, wait: 1d, subject: Two, template: two }
                """)
        try nurture("leads", "add", "ann@example.com", "--tag", "t")
        #expect(try tick("2030-01-07T10:00:00Z") == ["ann@example.com"])
        // Due Tuesday 10:00; the next tick is Friday: three days late, more than max_late.
        #expect(try tick("2030-01-11T10:00:00Z") == [])
        let shown = try nurture("leads", "show", "ann@example.com").stdout
        #expect(
            shown.contains("drip/two  skipped (more than 1d late (due 2030-01-08 10:00 UTC, max_late 1d))"), "\(shown)")
        let report =
            try JSONSerialization.jsonObject(with: Data(try nurture("report", "drip", "--format", "json").stdout.utf8))
            as? [[String: Any]]
        let steps = report?.first?["steps"] as? [[String: Any]] ?? []
        #expect(steps.first { $0["step"] as? String == "two" }?["skipped"] as? Int == 1, "\(steps)")
    }

    @Test func reminderForADatePassedDuringAnOutageIsSkipped() throws {
        try campaign(
            steps: """
                  - { id: ends, wait_until: { attribute: trial_ends_at, offset: -2d }, subject: "Ends soon", template: ends }
                """)
        try nurture("leads", "add", "ann@example.com", "--tag", "t", "--attr", "trial_ends_at=2030-01-10")
        try nurture("leads", "add", "bo@example.com", "--tag", "t", "--attr", "trial_ends_at=2030-01-17")
        #expect(try tick("2030-01-07T10:00:00Z") == [])
        // The outage ends on the 11th: Ann's trial ended on the 10th; Bo's reminder is due on the 15th.
        #expect(try tick("2030-01-11T10:00:00Z") == [])
        #expect(try tick("2030-01-15T10:00:00Z") == ["bo@example.com"])
        let shown = try nurture("leads", "show", "ann@example.com").stdout
        #expect(shown.contains("drip/ends  skipped ('trial_ends_at' (2030-01-10) has passed)"), "\(shown)")
    }

    /// Issue 10.6: a purchase backfilled from a CRM with `event --at` converts the lead as
    /// of that time, for ticks at or after it, and `unsubscribe --at` records its time.
    @Test func backfilledGoalEventConvertsAsOfItsTime() throws {
        try campaign(
            "exit_on: [purchased]",
            steps: """
                  - { id: one, subject: One, template: one }
                  - { id: two, wait: 2d, subject: Two, template: two }
                """)
        try nurture("leads", "add", "ann@example.com", "--tag", "t")
        try nurture("leads", "add", "bo@example.com", "--tag", "t")
        #expect(try tick("2030-01-07T10:00:00Z") == ["ann@example.com", "bo@example.com"])
        try nurture("event", "ann@example.com", "purchased", "--at", "2030-01-08T15:30:00Z", "--attr", "amount=99")
        // A replayed tick before the purchase does not know of it yet.
        #expect(try tick("2030-01-08T12:00:00Z") == [])
        #expect(try tick("2030-01-09T10:00:00Z") == ["bo@example.com"])
        let ann = try nurture("leads", "show", "ann@example.com").stdout
        #expect(
            ann.contains(
                "drip: converted since Mon 2030-01-07 10:00 UTC; ended Tue 2030-01-08 15:30 UTC (goal event 'purchased')"
            ), "\(ann)")
        let bo = try nurture("unsubscribe", "bo@example.com", "--at", "2030-01-09T11:00:00Z")
        #expect(bo.stdout.contains("unsubscribed"))
        let story = try nurture("leads", "show", "bo@example.com").stdout
        #expect(story.contains("Wed 2030-01-09 11:00 UTC  event unsubscribed (via=nurture unsubscribe)"), "\(story)")
    }

    /// Issue 10.4: a date typed the American way is imported, then reported by validate
    /// (how many, one example), simulate and leads show as not a date, never as missing.
    @Test func nonISODatesAreReportedNotTreatedAsMissing() throws {
        try campaign(
            steps: """
                  - { id: ends, wait_until: { attribute: trial_ends_at, offset: -2d }, subject: "Ends soon", template: ends }
                """)
        try project.write(
            "leads.csv",
            "email,trial_ends_at,tags\nann@example.com,12/04/2026,t\nbo@example.com,2026-12-04,t\ncy@example.com,,t\n")
        try nurture("leads", "import", "leads.csv")
        let validate = try nurture("validate")
        #expect(
            validate.stderr.contains(
                "warning: step 'ends' waits for 'trial_ends_at', which 1 active lead has in a form that is not a date (like '12/04/2026')"
            ), "\(validate.stderr)")
        let simulate = try nurture("simulate", "drip", "--lead", "ann@example.com", "--now", "2026-11-02T10:00:00Z")
        #expect(simulate.stdout.contains("'trial_ends_at' is not a date: '12/04/2026'"), "\(simulate.stdout)")
        #expect(
            try nurture("simulate", "drip", "--lead", "cy@example.com", "--now", "2026-11-02T10:00:00Z").stdout
                .contains("the lead has no 'trial_ends_at'"))
        let shown = try nurture("leads", "show", "ann@example.com").stdout
        #expect(shown.contains("trial_ends_at: 12/04/2026   (not a date: '12/04/2026'"), "\(shown)")
        #expect(!(try nurture("leads", "show", "bo@example.com").stdout.contains("not a date")))
    }

    /// Issue 10.7: validate counts only the leads for whom a step would render a missing
    /// variable; simulate that assumes opens and clicks counts their score.
    @Test func validateAndSimulateTellTheTruth() throws {
        try project.write("templates/co.txt.mustache", "For {{company}}\n")
        try campaign(
            steps: """
                  - { id: one, subject: One, template: one }
                  - { id: guarded, wait: 1d, subject: Co, template: co, if: { attribute: { name: company, exists: true } } }
                  - { id: open, wait: 1d, subject: Co, template: co }
                  - { id: hot, wait: 1d, subject: Hot, template: two, if: { score_at_least: 8 } }
                """)
        try nurture("leads", "add", "ann@example.com", "--tag", "t", "--attr", "company=Acme")
        try nurture("leads", "add", "bo@example.com", "--tag", "t")
        let validate = try nurture("validate")
        let warnings = validate.stderr.split(separator: "\n").filter { $0.contains("uses 'company'") }
        #expect(
            warnings.count == 1
                && warnings.first?.contains(
                    "step 'open' uses 'company', which 1 active lead lacks; their message is held until they have it")
                    == true,
            "\(validate.stderr)")
        // score: open 1 + click 3 per message; after one, guarded (skipped for Bo) and open, Ann has 12, Bo 8.
        let simulate = try nurture("simulate", "drip", "--lead", "bo@example.com", "--now", "2030-01-07T10:00:00Z")
        #expect(simulate.stdout.contains("hot"), "\(simulate.stdout)")
        #expect(!simulate.stdout.contains("hot           skipped"), "\(simulate.stdout)")
        let cold = try nurture(
            "simulate", "drip", "--lead", "bo@example.com", "--now", "2030-01-07T10:00:00Z", "--unengaged")
        #expect(cold.stdout.contains("skipped: condition not met"), "\(cold.stdout)")
    }
}
