import Foundation
import NurtureTestSupport
import Testing

/// The built binary, run in a scratch copy of the example project.
@Suite struct CommandLineTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-cli")
        try Repository.copyExample(into: project)
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    @Test func validatePassesOnTheExample() throws {
        let result = try nurture("validate")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("ok: 1 campaign, 4 steps"))
    }

    /// Issue 11.8: numbers that used to crash every command (SIGILL on conversion) and an
    /// envelope sender with a line break are errors at their place in nurture.yml.
    @Test(arguments: [
        ("timeout: 1e20", "nurture.yml:2:12: error: 'timeout' must be whole seconds from 1 to 3600, not '1e20'"),
        ("timeout: inf", "nurture.yml:2:12: error: 'timeout' must be whole seconds from 1 to 3600, not 'inf'"),
        (
            "max_connections: 1e19",
            "nurture.yml:2:20: error: 'max_connections' must be a whole number from 1 to 64, not '1e19'"
        ),
        (
            "rate_per_second: 1e-320",
            "nurture.yml:2:20: error: 'rate_per_second' must be messages per second from 0.01 to 100000"
        ),
        (
            "envelope_from: \"a@b.example\\r\\nRCPT TO:<x@y.example>\"",
            "nurture.yml:2:18: error: 'envelope_from' is not a valid address"
        ),
    ])
    func hostileSettingsAreErrorsNotCrashes(setting: String, error: String) throws {
        try project.write("nurture.yml", "smtp:\n  \(setting)\n")
        for command in [["validate"], ["status"], ["run", "--once", "--dry-run"]] {
            let result = try NurtureBinary.run(command, in: project.url)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains(error), "\(command): \(result.stderr)")
            #expect(result.stderr.hasPrefix("nurture.yml:"), "one prefix, not 'error: nurture.yml:…: error:'")
        }
    }

    /// Issue 11.10: control characters from a file (here a YAML key written with the
    /// escapes \\e and \\a) are escaped when echoed.
    @Test func controlCharactersFromFilesAreEscaped() throws {
        try project.write(
            "campaigns/evil.yml", "from: a@b.example\nenroll: { tags: [x] }\n\"\\e]0;owned\\a\": 1\nsteps: []\n")
        let result = try nurture("validate")
        #expect(result.status == 1)
        #expect(
            !result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 },
            "raw control characters reached the terminal")
        #expect(result.stderr.contains("\\u{1B}]0;owned\\u{7}"), "\(result.stderr)")
    }

    /// Issue 10.5: `leads list --tag T --format csv` lists exactly the tagged leads.
    @Test func leadsListFiltersAndFormats() throws {
        try project.write(
            "people.csv",
            "email,first_name,tags\nann@example.com,Ann,vip;trial\nbo@example.com,Bo,trial\ncy@example.com,\"=HYPERLINK(1)\",vip\n"
        )
        #expect(try nurture("leads", "import", "people.csv").status == 0)
        #expect(try nurture("unsubscribe", "bo@example.com").status == 0)
        let csv = try nurture("leads", "list", "--tag", "vip", "--format", "csv")
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "email,first_name,last_name,status,score,tags,created_at")
        #expect(
            lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) } == [
                "ann@example.com", "cy@example.com",
            ])
        #expect(csv.stdout.contains("'=HYPERLINK(1)"), "formula cells defused")
        let json = try nurture("leads", "list", "--status", "unsubscribed", "--format", "json")
        let listed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(listed?.map { $0["email"] as? String } == ["bo@example.com"])
        #expect(try nurture("leads", "list", "--status", "gone").status == 1)
    }

    /// Issue 10.8: a mistyped store path is an error for commands that only read, not a
    /// new empty store; `--once --every` says "not both".
    @Test func missingStoreAndConflictingFlagsSayWhy() throws {
        for command in [
            ["status"], ["report"], ["plan"], ["leads", "show", "a@b.example"], ["unsubscribe", "a@b.example"],
        ] {
            let result = try NurtureBinary.run(command + ["--db", "typo.sqlite"], in: project.url)
            #expect(result.status == 1, "\(command)")
            #expect(result.stderr.hasPrefix("error: there is no store at "), "\(command): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent("typo.sqlite").path))
        #expect(
            try NurtureBinary.run(["leads", "add", "a@b.example", "--db", "new.sqlite"], in: project.url).status == 0,
            "writers create it")
        let both = try nurture("run", "--once", "--every", "60s")
        #expect(both.status == 1)
        #expect(both.stderr.contains("not both"), "\(both.stderr)")
        #expect(!both.stderr.contains("Error: "), "one prefix: \(both.stderr)")
    }

    /// Issue 12: a PostgreSQL store that cannot be reached fails at once and says where;
    /// a password on the command line or in nurture.yml is refused before connecting.
    @Test func postgresLocationsThatCannotWorkSayWhy() throws {
        // Issue 41.8: a server out of reach is a failure of the world (2), in words.
        let unreachable = try NurtureBinary.run(
            ["status", "--db", "postgres://nurture@127.0.0.1:1/nurture"], in: project.url)
        #expect(unreachable.status == 2)
        #expect(
            unreachable.stderr.hasPrefix(
                "error: could not connect to PostgreSQL at 127.0.0.1:1 (is it running, and reachable from here?): Connection refused"
            ),
            "\(unreachable.stderr)")
        #expect(
            !unreachable.stderr.contains("PSQLError") && !unreachable.stderr.contains("NIOConnectionError"),
            "\(unreachable.stderr)")
        // A port out of range is refused, not wrapped around to another (99999 was 34463).
        let outOfRange = try NurtureBinary.run(
            ["status", "--db", "postgres://nurture@127.0.0.1:99999/nurture"], in: project.url)
        #expect(outOfRange.status == 1)
        #expect(
            outOfRange.stderr.contains("the store URL's port must be from 1 to 65535, not 99999"),
            "\(outOfRange.stderr)")
        let exposed = try NurtureBinary.run(
            ["status", "--db", "postgres://nurture:hunter2@127.0.0.1:1/nurture"], in: project.url)
        #expect(exposed.status == 1)
        #expect(exposed.stderr.contains("set PGPASSWORD, or put the whole URL in NURTURE_DB"), "\(exposed.stderr)")
        #expect(!exposed.stderr.contains("hunter2"), "the password is never echoed")
        try project.write("nurture.yml", "db: postgres://nurture:hunter2@127.0.0.1:1/nurture\n")
        let inFile = try NurtureBinary.run(["status"], in: project.url)
        #expect(inFile.stderr.contains("set PGPASSWORD"), "\(inFile.stderr)")
        let badMode = try NurtureBinary.run(
            ["status"], in: project.url,
            environment: ["NURTURE_DB": "postgres://nurture@127.0.0.1:1/nurture?sslmode=sometimes"])
        #expect(badMode.status == 1)
        #expect(
            badMode.stderr.contains(
                "sslmode must be disable, allow, prefer, require, verify-ca or verify-full (as libpq)"),
            "\(badMode.stderr)")
        // A lease so short a busy sender's heartbeat could miss it, or one that is not an interval.
        for lease in ["1s", "two minutes", "-30s"] {
            let badLease = try NurtureBinary.run(
                ["run", "--once"], in: project.url,
                environment: ["NURTURE_DB": "postgres://nurture@127.0.0.1:1/nurture", "NURTURE_LEASE": lease])
            #expect(badLease.status == 1)
            #expect(
                badLease.stderr.contains(
                    "NURTURE_LEASE must be an interval of at least 3s, like 30s or 2m, not '\(lease)'"),
                "\(badLease.stderr)")
        }
    }

    @Test func validateListsAllErrorsAndExits1() throws {
        try project.write(
            "campaigns/broken.yml",
            """
            from: "Ada <ada@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - id: welcome
                subject: Hi
                template: onboarding/welcome
                tempalte: x
              - id: welcome
                wait: 2days
                subject: Again
                template: onboarding/nope
            """)
        let result = try nurture("validate")
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(
            lines == [
                "campaigns/broken.yml:7:5: error: unknown key 'tempalte' in a step",
                "campaigns/broken.yml:8:9: error: step id 'welcome' is used twice (first at line 4)",
                "campaigns/broken.yml:9:11: error: 'wait' is not a duration: '2days'",
                "campaigns/broken.yml:11:15: error: template 'onboarding/nope' does not exist",
            ])
        #expect(result.stderr.contains("hint: did you mean 'template'?"))
        #expect(result.stderr.contains("error: 4 errors"))
    }

    @Test func importShowAndUnsubscribe() throws {
        try project.write(
            "leads.csv",
            """
            email,first_name,timezone,tags,company
            ada@acme.example,Ada,Europe/London,trial,Acme
            broken@,Bob,,trial,Initech
            grace@navy.example,Grace,America/New_York,trial;vip,Navy
            ,Nobody,,trial,Ghost
            """)
        let imported = try nurture("leads", "import", "leads.csv", "--tag", "webinar")
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported 2 of 4 rows from leads.csv: 2 new, 0 updated; 2 rejected"))
        #expect(imported.stderr.contains("leads.csv:3: rejected: email 'broken@' is malformed"))
        #expect(imported.stderr.contains("leads.csv:5: rejected: email is empty"))

        let shown = try nurture("leads", "show", "GRACE@navy.example")
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("grace@navy.example  (active, score 0)"))
        #expect(shown.stdout.contains("tags:       trial, vip, webinar"))
        #expect(shown.stdout.contains("company: Navy"))

        #expect(try nurture("unsubscribe", "grace@navy.example").stdout == "unsubscribed grace@navy.example\n")
        #expect(try nurture("leads", "show", "grace@navy.example").stdout.contains("(unsubscribed, score 0)"))
        // Importing her again does not resubscribe her.
        _ = try nurture("leads", "import", "leads.csv")
        #expect(try nurture("leads", "show", "grace@navy.example").stdout.contains("(unsubscribed"))
        #expect(try nurture("unsubscribe", "nobody@example.com").status == 1)
    }

    @Test func previewEscapesHTMLAndKeepsTextVerbatim() throws {
        let added = try nurture(
            "leads", "add", "bob@example.com", "--first-name", "<b>Bob</b>", "--attr", "company=Bob & Co", "--tag",
            "trial")
        #expect(added.status == 0, "\(added.stderr)")
        let html = try nurture(
            "preview", "trial-onboarding", "welcome", "--lead", "bob@example.com", "--format", "html")
        #expect(html.status == 0, "\(html.stderr)")
        #expect(html.stdout.contains("<p>Hi &lt;b&gt;Bob&lt;/b&gt;,</p>"))
        #expect(!html.stdout.contains("<b>Bob</b>,"))
        let text = try nurture(
            "preview", "trial-onboarding", "welcome", "--lead", "bob@example.com", "--format", "text")
        #expect(text.stdout.hasPrefix("Subject: Welcome to Acme, <b>Bob</b>!\n"))
        #expect(text.stdout.contains("Hi <b>Bob</b>,"))
        #expect(text.stderr.isEmpty)
    }

    @Test func previewWarnsAboutMissingVariables() throws {
        let result = try nurture("preview", "trial-onboarding", "tips", "--attr", "first_name=Ann")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Subject: Three tips for getting started"))
        #expect(result.stderr.contains("warning: lead preview@example.com has no 'company'"))
    }

    @Test func previewShowsTheWholeMessage() throws {
        let result = try nurture(
            "preview", "trial-onboarding", "welcome", "--attr", "first_name=Zoë", "--format", "eml")
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("Date: "))
        #expect(result.stdout.contains("\r\nContent-Type: multipart/alternative; boundary="))
        #expect(result.stdout.contains("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
    }

    @Test func previewWritesAFile() throws {
        let result = try nurture(
            "preview", "trial-onboarding", "offer", "--attr", "first_name=Ann", "--format", "html", "--out",
            "offer.html")
        #expect(result.status == 0)
        #expect(try project.read("offer.html").contains("TRIAL20"))
    }

    @Test func userErrorsExitWith1() throws {
        #expect(
            try nurture("preview", "trial-onboardng", "welcome").stderr.contains("did you mean 'trial-onboarding'?"))
        #expect(try nurture("preview", "trial-onboarding", "nope").status == 1)
        #expect(try nurture("leads", "add", "not-an-email").status == 1)
        #expect(try nurture("leads", "add", "a@example.com", "--timezone", "Mars/Base").status == 1)
        #expect(try nurture("frobnicate").status == 1)
        #expect(try nurture("leads", "import", "missing.csv").status == 1)
    }

    @Test func brokenSettingsFileNamesTheLine() throws {
        try project.write("nurture.yml", "timezone: Europe/Berlin\ndatabase: x.sqlite\n")
        let result = try nurture("validate")
        #expect(result.status == 1)
        #expect(result.stderr.contains("nurture.yml:2:1: error: unknown key 'database' in the settings"))
    }
}
