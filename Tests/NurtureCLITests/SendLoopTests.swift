import Foundation
import NurtureTestSupport
import Testing

/// `nurture run` end to end: the built binary, a real SQLite file, the outbox transport.
@Suite struct SendLoopTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-run")
        for name in ["one", "two", "three"] {
            try project.write("templates/\(name).txt.mustache", "Hello {{first_name}}, this is \(name).\n")
        }
    }

    func campaign(_ body: String) throws {
        try project.write(
            "campaigns/drip.yml",
            """
            id: drip
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            exit_on: [purchased]
            \(body)
            """)
    }

    let threeSteps = """
        steps:
          - { id: one, wait: 0m, subject: "One", template: one }
          - { id: two, wait: 2d, subject: "Two", template: two }
          - { id: three, wait: 1w, subject: "Three", template: three }
        """

    @discardableResult
    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        let result = try NurtureBinary.run(arguments, in: project.url, environment: environment)
        if result.status != 0 {
            Issue.record("nurture \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result
    }

    /// Issue 42.6: the send loop logs through swift-log on standard error: nothing by
    /// default (cron mails what a job prints), each tick's start and end with its counts
    /// at info, a line per message at debug.
    @Test func theSendLoopLogsAtTheLevelAskedFor() throws {
        try campaign(threeSteps)
        for name in ["ann", "bob"] { try nurture("leads", "add", "\(name)@example.com", "--tag", "trial") }
        let quiet = try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")
        #expect(!quiet.stderr.contains("tick"), "\(quiet.stderr)")
        let info = try nurture("run", "--once", "--now", "2030-01-09T10:00:00Z", "--log-level", "info")
        #expect(
            info.stderr.contains("info nurture.run: limit=none now=2030-01-09T10:00:00Z [NurtureCore] tick starting"),
            "\(info.stderr)")
        #expect(info.stderr.contains("sent=2") && info.stderr.contains("tick ended"), "\(info.stderr)")
        #expect(!info.stderr.contains(" message\n"))
        let debug = try nurture("run", "--once", "--now", "2030-01-16T10:00:00Z", environment: ["LOG_LEVEL": "debug"])
        let lines = debug.stderr.split(separator: "\n").filter { $0.hasSuffix("] message") }
        #expect(
            lines.count == 2 && lines.allSatisfy { $0.contains("step=three") && $0.contains("outcome=delivered") },
            "\(debug.stderr)")
    }

    func importLeads(_ count: Int, timezone: String = "") throws {
        var csv = "email,first_name,timezone,tags\n"
        for index in 0..<count { csv += "lead\(index)@example.com,Lead\(index),\(timezone),trial\n" }
        try project.write("leads.csv", csv)
        try nurture("leads", "import", "leads.csv")
    }

    /// The number after "sent " in a tick's summary line.
    func sentCount(_ result: NurtureBinary.Result) -> Int? {
        guard let range = result.stdout.range(of: #"sent (\d+)"#, options: .regularExpression) else { return nil }
        return Int(result.stdout[range].dropFirst(5))
    }

    func outboxFiles() throws -> [String] {
        let folder = project.url.appendingPathComponent("outbox")
        guard FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }
    }

    /// Issue 4: with a 0m/2d/1w drip and three leads, ticks at t0, t0, t0+1d, t0+2d and
    /// t0+9d send exactly 3, 0, 0, 3 and 3 messages.
    @Test func threeStepDripFollowsItsWaits() throws {
        try campaign(threeSteps)
        try importLeads(3)
        let ticks = [
            "2030-01-07T10:00:00Z", "2030-01-07T10:00:00Z", "2030-01-08T10:00:00Z", "2030-01-09T10:00:00Z",
            "2030-01-16T10:00:00Z",
        ]
        let sent = try ticks.map { try sentCount(nurture("run", "--once", "--now", $0)) }
        #expect(sent == [3, 0, 0, 3, 3])
        #expect(try outboxFiles().count == 9)
        let timeline = try nurture("leads", "show", "lead0@example.com").stdout
        #expect(timeline.contains("Mon 2030-01-07 10:00 UTC  drip/one  sent"))
        #expect(timeline.contains("Wed 2030-01-09 10:00 UTC  drip/two  sent"))
        #expect(timeline.contains("Wed 2030-01-16 10:00 UTC  drip/three  sent"))
        #expect(timeline.contains("drip: completed"))
    }

    /// Issue 11.2: a campaign file missing for one tick leaves its drips as they were;
    /// when the file is back, they continue where they stood.
    @Test func campaignFileMissingForATickStallsNothing() throws {
        try campaign(threeSteps)
        try project.write(
            "campaigns/other.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [other] }
            steps: [{ id: one, subject: "One", template: one }]
            """)
        try importLeads(3)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 3)
        let file = project.url.appendingPathComponent("campaigns/drip.yml")
        let saved = try Data(contentsOf: file)
        try FileManager.default.removeItem(at: file)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-09T10:00:00Z")) == 0)
        let status = try nurture("status", "--now", "2030-01-09T10:00:00Z").stdout
        #expect(status.contains("due now: 3"), "the drips still wait for step two: \(status)")
        try saved.write(to: file)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-09T11:00:00Z")) == 3)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-16T11:00:00Z")) == 3)
        #expect(try outboxFiles().count == 9)
    }

    /// Issue 4: a New York lead enrolled on a Saturday, with a Mon–Fri 09:00–17:00 window,
    /// gets the first step at Monday 09:00 New York time, not a minute before, across the
    /// weekend daylight-saving time starts (10 March 2030).
    @Test func windowOpensMondayAtNineInTheLeadsZone() throws {
        try campaign(
            """
            send_window: { days: [mon, tue, wed, thu, fri], hours: "09:00-17:00" }
            \(threeSteps)
            """)
        try importLeads(1, timezone: "America/New_York")
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-03-09T15:00:00Z")) == 0)  // Saturday 10:00 EST
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-03-11T12:59:00Z")) == 0)  // Monday 08:59 EDT
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-03-11T13:00:00Z")) == 1)  // Monday 09:00 EDT
    }

    @Test func goalEventsAndUnsubscribesStopTheDrip() throws {
        try campaign(threeSteps)
        try importLeads(3)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 3)
        #expect(try nurture("event", "lead0@example.com", "purchased").stdout.contains("converted in drip"))
        try nurture("unsubscribe", "lead1@example.com")
        let later = try nurture("run", "--once", "--now", "2030-01-09T10:00:00Z")
        #expect(sentCount(later) == 1)
        #expect(later.stdout.contains("suppressed 1"))
        #expect(try outboxFiles().filter { $0.contains(".two@") }.count == 1)
        #expect(try nurture("leads", "show", "lead0@example.com").stdout.contains("drip: converted"))
    }

    /// Issue 11.5: a dry run works on a snapshot and never holds the store's write lock,
    /// so writers (an unsubscribe, a click) are not kept waiting while it runs.
    @Test func dryRunNeverHoldsTheWriteLock() async throws {
        try campaign(threeSteps)
        try importLeads(3000)
        let dry = try NurtureBinary.start(
            ["run", "--once", "--dry-run", "--now", "2030-01-07T10:00:00Z"], in: project.url)
        var checks = 0
        var refused = 0
        while dry.process.isRunning {
            // Take the write lock without waiting: refused while anyone else holds it.
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
            probe.arguments = [
                project.url.appendingPathComponent("nurture.sqlite").path, ".timeout 0", "BEGIN IMMEDIATE; ROLLBACK;",
            ]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            try probe.run()
            probe.waitUntilExit()
            if dry.process.isRunning {
                checks += 1
                if probe.terminationStatus != 0 { refused += 1 }
            }
        }
        let result = try dry.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("would send"))
        #expect(checks > 0, "the dry run ended before it could be checked")
        #expect(refused == 0, "the write lock was held during \(refused) of \(checks) checks")
        #expect(try outboxFiles().isEmpty)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 3000)
    }

    /// Issue 4: after an edit, `plan` names the renamed step and never resends it.
    @Test func planShowsWhatAnEditChanges() throws {
        try campaign(threeSteps)
        try importLeads(2)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 2)
        try campaign(
            """
            steps:
              - { id: intro, wait: 0m, subject: "Intro", template: one }
              - { id: one-renamed, wait: 0m, subject: "One", template: one }
              - { id: two, wait: 2d, subject: "Two", template: two }
            """)
        let plan = try nurture("plan", "--now", "2030-01-07T10:00:00Z").stdout
        #expect(
            plan.contains(
                "step 'one' is no longer in the file (removed or renamed): 2 leads got it; it is never sent again"))
        #expect(plan.contains("2 × intro due now"))
        // Issue 10.3: an unmarked rename is refused (plan warns, run exits 1) until it is
        // marked with renamed_from or accepted as new with --allow-removed.
        #expect(plan.contains("warning: step 'intro' replaces step 'one'"), "\(plan)")
        let refused = try NurtureBinary.run(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url)
        #expect(refused.status == 1 && refused.stderr.contains("add `renamed_from: one`"), "\(refused.stderr)")
        // Accepted as new: the leads get intro and one-renamed, never 'one' again.
        let tick = try nurture("run", "--once", "--allow-removed", "--now", "2030-01-07T10:00:00Z")
        #expect(sentCount(tick) == 4)
        #expect(try outboxFiles().filter { $0.contains(".one@") }.count == 2)
    }

    @Test func dryRunChangesNothing() throws {
        try campaign(threeSteps)
        try importLeads(2)
        let dry = try nurture("run", "--once", "--dry-run", "--now", "2030-01-07T10:00:00Z")
        #expect(dry.stdout.contains("would send drip/one to lead0@example.com: One"))
        #expect(dry.stdout.contains("dry run (nothing was changed): sent 2"))
        #expect(try outboxFiles().isEmpty)
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 2)
    }

    @Test func limitCapsATick() throws {
        try campaign(threeSteps)
        try importLeads(5)
        let limited = try nurture("run", "--once", "--limit", "2", "--now", "2030-01-07T10:00:00Z")
        #expect(sentCount(limited) == 2)
        #expect(limited.stdout.contains("--limit reached"))
        #expect(try sentCount(nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")) == 3)
    }

    /// Issue 4: three ticks started at the same moment over 200 due leads deliver exactly 200.
    @Test func concurrentTicksSendEachStepOnce() throws {
        try campaign(threeSteps)
        try importLeads(200)
        let ticks = try (0..<3).map { _ in
            try NurtureBinary.start(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url)
        }
        let results = try ticks.map { try $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        #expect(results.compactMap(sentCount).reduce(0, +) == 200)
        #expect(try outboxFiles().count == 200)
    }

    /// Issue 4: a tick killed with `kill -9` halfway through 300 leads, then another tick:
    /// no lead has two copies of a step, every lead has one, and `status` names anything in doubt.
    @Test func killedTickLosesAndDuplicatesNothing() async throws {
        try campaign(threeSteps)
        try importLeads(300)
        // Slow enough (30 s for the whole tick) that a loaded test machine still kills it mid-way.
        let slow = ["NURTURE_TEST_DELIVERY_DELAY_MS": "100"]
        // Wait until part of the batch is out, then kill without warning (on a thread of
        // its own: see `OwnThread`).
        _ = try await OwnThread.run { [self] in
            let doomed = try NurtureBinary.start(
                ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: slow)
            let deadline = Date().addingTimeInterval(30)
            while try outboxFiles().count < 60, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            doomed.kill()
            return try doomed.wait()
        }
        let before = try outboxFiles().count
        #expect(before > 0 && before < 300, "the kill should land mid-tick (\(before) sent)")

        let status = try nurture("status", "--now", "2030-01-07T10:00:00Z").stdout
        #expect(status.contains("being sent right now:"), "the killed tick left messages in flight: \(status)")

        // The next tick settles what was in flight (the outbox can tell whether a file
        // was written) and sends the rest.
        try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")
        let files = try outboxFiles()
        #expect(files.count == 300)
        // One copy of step one per lead: the recipients are all different.
        var recipients: [String] = []
        for file in files {
            let text = try project.read("outbox/\(file)")
            recipients += text.split(separator: "\r\n").filter { $0.hasPrefix("To: ") }.map(String.init)
        }
        #expect(Set(recipients).count == 300)
        #expect(recipients.count == 300)
        let after = try nurture("status", "--now", "2030-01-07T10:00:00Z").stdout
        #expect(after.contains("unknown outcomes: -"))
        #expect(!after.contains("being sent right now"))
    }
}

/// `run --every`: ticks until SIGTERM, then stops cleanly.
@Suite struct RunEveryTests {
    @Test func ticksUntilSIGTERM() async throws {
        let project = try TemporaryDirectory("nurture-every")
        try project.write("templates/a.txt.mustache", "Hello\n")
        try project.write(
            "campaigns/c.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps: [{ id: one, subject: Hi, template: a }]
            """)
        #expect(try NurtureBinary.run(["leads", "add", "a@example.com", "--tag", "t"], in: project.url).status == 0)
        let running = try NurtureBinary.start(["run", "--every", "1s"], in: project.url)
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: project.url.appendingPathComponent("outbox").path),
            Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .milliseconds(1500))
        kill(running.process.processIdentifier, SIGTERM)
        let result = try running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stopped"))
        let ticks = result.stdout.split(separator: "\n").filter { $0.contains("sent ") }
        #expect(ticks.count >= 2)
        #expect(ticks.first?.contains("sent 1,") == true)
        #expect(ticks.dropFirst().allSatisfy { $0.contains("sent 0,") })
    }
}

/// `nurture report` after a few ticks.
@Suite struct ReportTests {
    @Test func countsSendsConversionsAndUnsubscribes() throws {
        let project = try TemporaryDirectory("nurture-report")
        try project.write("templates/a.txt.mustache", "Hello\n")
        try project.write(
            "campaigns/drip.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            exit_on: [purchased]
            steps:
              - { id: one, subject: One, template: a }
              - { id: two, wait: 2d, subject: Two, template: a, if: { has_tag: vip } }
            """)
        func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
            try NurtureBinary.run(arguments, in: project.url)
        }
        for email in ["a@example.com", "b@example.com", "c@example.com", "d@example.com"] {
            #expect(try nurture("leads", "add", email, "--tag", "t").status == 0)
        }
        _ = try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")
        _ = try nurture("event", "a@example.com", "purchased")
        _ = try nurture("unsubscribe", "b@example.com")
        _ = try nurture("run", "--once", "--now", "2030-01-09T10:00:00Z")

        let json = try nurture("report", "--format", "json")
        #expect(json.status == 0)
        let campaigns = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let drip = try #require(campaigns.first)
        #expect(drip["enrolled"] as? Int == 4)
        #expect(drip["converted"] as? Int == 1)
        #expect(drip["unsubscribed"] as? Int == 1)
        #expect(drip["conversion_rate"] as? Double == 0.25)
        let steps = drip["steps"] as? [[String: Any]] ?? []
        // b unsubscribed with `nurture unsubscribe`, not through a link: the row of what
        // no step earned, so the campaign's total is the sum of its rows (issue 36.8).
        #expect(steps.map { $0["step"] as? String } == ["one", "two", "(no step)"])
        #expect(steps.last?["unsubscribed"] as? Int == 1 && steps.last?["sent"] as? Int == 0)
        #expect(steps[0]["sent"] as? Int == 4)
        #expect(steps[1]["sent"] as? Int == 0)
        #expect(steps[1]["skipped"] as? Int == 2, "c and d are not vip")

        let csv = try nurture("report", "drip", "--format", "csv").stdout.split(separator: "\n")
        #expect(
            csv.first
                == "campaign,step,sent,failed,bounced,skipped,retrying,unknown,unique_opens,open_rate,unique_clicks,click_rate,machine_opens,machine_clicks,unsubscribed,converted,step_conversion_rate,bounced_hard,bounced_soft,complained,replied,held,held_because,campaign_enrolled,campaign_converted,campaign_conversion_rate,campaign_unsubscribed"
        )
        #expect(
            csv.dropFirst().first == "drip,one,4,0,0,0,0,0,0,0.0000,0,0.0000,0,0,0,1,0.2500,0,0,0,0,0,,4,1,0.2500,1",
            "a converted after step one")
        let table = try nurture("report").stdout
        #expect(table.contains("drip: 4 enrolled"))
        #expect(table.contains("1 converted (25.0%)"))
        #expect(try nurture("report", "nope").status == 1)
    }

    /// Issue 36.6 in the CSV hand-off: a step whose messages are held for a missing
    /// variable says how many leads and why, in its row.
    @Test func theReportCSVSaysWhichStepsHoldLeadsAndWhy() throws {
        let project = try TemporaryDirectory("nurture-report-held")
        try project.write("templates/a.txt.mustache", "Three tips for {{company}}\n")
        try project.write(
            "campaigns/tips.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: tips, subject: "Tips for {{company}}", template: a }
            """)
        func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
            try NurtureBinary.run(arguments, in: project.url)
        }
        #expect(try nurture("leads", "add", "kim@example.com", "--tag", "t", "--attr", "company=Kim Co").status == 0)
        #expect(try nurture("leads", "add", "lee@example.com", "--tag", "t").status == 0)
        #expect(try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z").status == 0)
        let csv = try nurture("report", "tips", "--format", "csv").stdout.split(separator: "\n")
        let heading = try #require(csv.first).split(separator: ",", omittingEmptySubsequences: false)
        let row = try #require(csv.dropFirst().first { $0.hasPrefix("tips,tips,") }).split(
            separator: ",", omittingEmptySubsequences: false)
        let cell = { (name: String) in heading.firstIndex(of: Substring(name)).map { String(row[$0]) } }
        #expect(cell("sent") == "1")
        #expect(cell("held") == "1", "\(csv)")
        #expect(
            cell("held_because")?.contains("company") == true && cell("held_because")?.hasSuffix("(1)") == true,
            "\(csv)")
    }
}
