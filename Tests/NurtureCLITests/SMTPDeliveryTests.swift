import Foundation
import NurtureTestSupport
import Testing

/// `nurture run` delivering through real SMTP servers on loopback.
@Suite(.serialized) struct SMTPDeliveryTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-smtp-run")
        try project.write(
            "templates/hello.txt.mustache", "Hallo {{first_name}},\n\nschön, dass du da bist. Grüße aus Köln!\n")
        try project.write(
            "templates/hello.html.mustache",
            "<p>Hallo {{first_name}},</p><p>schön, dass du da bist. <a href=\"https://acme.example/start?a=1&b=2\">Los</a></p>\n"
        )
        try project.write(
            "campaigns/welcome.yml",
            """
            id: welcome
            from: "Jürgen Groß <juergen@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Grüße, {{first_name}} — dein Zugang ✓", template: hello }
              - { id: again, wait: 1d, subject: "Noch einmal", template: hello }
            """)
    }

    @discardableResult
    func nurture(_ arguments: [String], smtp: String?, extra: [String: String] = [:]) throws -> NurtureBinary.Result {
        var environment = extra
        if let smtp { environment["NURTURE_SMTP_URL"] = smtp }
        return try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    func addLead(_ email: String, firstName: String = "Zoë") throws {
        let result = try nurture(["leads", "add", email, "--first-name", firstName, "--tag", "trial"], smtp: nil)
        #expect(result.status == 0, "\(result.stderr)")
    }

    func tick(_ server: String?, at time: String, extra: [String: String] = [:]) throws -> NurtureBinary.Result {
        try nurture(["run", "--once", "--now", time], smtp: server, extra: extra)
    }

    /// Issue 37.2: with `smtp.envelope_from`, each message's MAIL FROM is a return path of
    /// its own (`bounces+TOKEN@domain`); `verp: false` sends the address as it is.
    @Test func eachMessageHasAReturnPathOfItsOwn() throws {
        try project.write("nurture.yml", "smtp: { envelope_from: bounces@acme.example }\n")
        let server = try SMTPTestServer()
        for name in ["zoe", "max"] { try addLead("\(name)@example.com") }
        #expect(try tick(server.url, at: "2030-01-07T10:00:00Z").status == 0)
        let senders = try server.received().compactMap { $0["mail_from"] as? String }
        #expect(senders.count == 2 && Set(senders).count == 2, "\(senders)")
        #expect(
            senders.allSatisfy { $0.wholeMatch(of: /bounces\+[0-9a-z]+-[a-z2-7]{16}@acme\.example/) != nil },
            "\(senders)")

        try project.write("nurture.yml", "smtp: { envelope_from: bounces@acme.example, verp: false }\n")
        #expect(try tick(server.url, at: "2030-01-08T10:00:00Z").status == 0)
        let plain = try server.received().dropFirst(2).compactMap { $0["mail_from"] as? String }
        #expect(plain == ["bounces@acme.example", "bounces@acme.example"], "\(plain)")
    }

    /// Issue 37.3: Postfix's delivery report for a message's VERP return path, read by
    /// `nurture inbound` from a file (or standard input, as a Postfix pipe gives it), ends
    /// that message's lead and no other; the same report again changes nothing, and
    /// `--classify` only says what a message is.
    @Test func aReportToTheReturnPathEndsThatLead() async throws {
        try project.write("nurture.yml", "smtp: { envelope_from: bounces@acme.example }\n")
        let server = try SMTPTestServer()
        for name in ["zoe", "max"] { try addLead("\(name)@example.com") }
        #expect(try tick(server.url, at: "2030-01-07T10:00:00Z").status == 0)
        let zoe = try #require(
            try server.received().first { ($0["rcpt_tos"] as? [String]) == ["zoe@example.com"] }?["mail_from"]
                as? String)
        try project.write(
            "report.eml",
            InboundFixture.postfixReport(
                to: zoe, recipient: "zoe@example.com", status: "5.1.1",
                diagnostic: "550 5.1.1 <zoe@example.com>: Recipient address rejected: User unknown", id: "r1"))

        let classified = try nurture(["inbound", "--classify", "report.eml"], smtp: nil)
        #expect(classified.stdout == "report.eml: bounce for zoe@example.com (hard, 5.1.1)\n", "\(classified.stdout)")
        #expect(
            try nurture(["leads", "show", "zoe@example.com"], smtp: nil).stdout.hasPrefix("zoe@example.com  (active"))

        let applied = try nurture(["inbound", "report.eml"], smtp: nil)
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(applied.stdout.hasPrefix("report.eml: bounce: zoe@example.com: bounced (5.1.1"), "\(applied.stdout)")
        #expect(
            try nurture(["leads", "show", "zoe@example.com"], smtp: nil).stdout.hasPrefix("zoe@example.com  (bounced"))
        #expect(
            try nurture(["leads", "show", "max@example.com"], smtp: nil).stdout.hasPrefix("max@example.com  (active"))

        let piped = try await ExternalTool.run(
            "/bin/sh", ["-c", "\"$0\" inbound < report.eml", NurtureBinary.url.path], in: project.url)
        #expect(piped.stdout == "<stdin>: bounce, handled before; nothing done\n", "\(piped.stdout) \(piped.stderr)")
        // A store that cannot be reached: EX_TEMPFAIL, so Postfix keeps the report for later.
        let unreachable = try await ExternalTool.run(
            "/bin/sh",
            [
                "-c", "NURTURE_DB=postgres://nobody@127.0.0.1:1/none \"$0\" inbound < report.eml",
                NurtureBinary.url.path,
            ],
            in: project.url)
        #expect(unreachable.status == 75, "\(unreachable.status) \(unreachable.stderr)")
    }

    /// Issue 37.3: an IMAP mailbox (a real Dovecot) holding Postfix's report for a
    /// message's VERP return path, a reply and an out-of-office: `inbound --mailbox` ends
    /// the bounced lead, records the reply, flags all three as handled, and the next run
    /// finds nothing new.
    @Test func theMailboxIsReadAndEachMessageHandledOnce() async throws {
        let imap = try DovecotTestServer()
        try project.write(
            "nurture.yml", "smtp: { envelope_from: bounces@acme.example }\nmailbox: { url: \"\(imap.url)\" }\n")
        let server = try SMTPTestServer()
        for name in ["zoe", "max"] { try addLead("\(name)@example.com") }
        #expect(try tick(server.url, at: "2030-01-07T10:00:00Z").status == 0)
        let sent = try server.received()
        let zoe = try #require(
            sent.first { ($0["rcpt_tos"] as? [String]) == ["zoe@example.com"] }?["mail_from"] as? String)
        let maxID = try #require(
            (sent.first { ($0["rcpt_tos"] as? [String]) == ["max@example.com"] }?["headers"] as? [String: String])?[
                "Message-ID"])
        try imap.append(
            InboundFixture.postfixReport(
                to: zoe, recipient: "zoe@example.com", status: "5.1.1",
                diagnostic: "550 5.1.1 <zoe@example.com>: Recipient address rejected: User unknown", id: "r1"))
        try imap.append(
            """
            From: Max <max@example.com>
            To: juergen@acme.example
            Subject: Auto: Grüße
            Auto-Submitted: auto-replied
            Message-ID: <ooo@example.com>
            In-Reply-To: \(maxID)

            Away until Monday.
            """)
        try imap.append(
            """
            From: Max <max@example.com>
            To: juergen@acme.example
            Subject: Re: Grüße
            Date: Mon, 7 Jan 2030 11:00:00 +0000
            Message-ID: <reply@example.com>
            In-Reply-To: \(maxID)

            Danke!
            """)
        let environment = ["NURTURE_MAILBOX_PASSWORD": imap.password]
        let read = try nurture(["inbound", "--mailbox"], smtp: nil, extra: environment)
        #expect(read.status == 0, "\(read.stderr)")
        let lines = read.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(read.stdout)")
        #expect(lines.first?.hasPrefix("UID 1: bounce: zoe@example.com: bounced (5.1.1") == true, "\(read.stdout)")
        #expect(lines.dropFirst().first == "UID 2: auto-reply; nothing recorded", "\(read.stdout)")
        #expect(lines.last == "UID 3: mail: max@example.com: replied", "\(read.stdout)")
        #expect(
            try nurture(["leads", "show", "zoe@example.com"], smtp: nil).stdout.hasPrefix("zoe@example.com  (bounced"))
        let max = try nurture(["leads", "show", "max@example.com", "--format", "json"], smtp: nil).stdout
        #expect(max.contains("\"replied\""), "\(max)")
        #expect(try imap.search("NOT KEYWORD NurtureDone").isEmpty)
        // The report credits both to the step whose mail they answer, on the page too.
        let report = try nurture(["report", "--format", "json"], smtp: nil).stdout
        #expect(report.contains("\"bounced_hard\" : 1") && report.contains("\"replied\" : 1"), "\(report)")
        let serve = try await ServeProcess(in: project.url)
        defer { serve.stop() }
        let page = try Curl.fetch(["\(serve.baseURL)/report"]).body
        #expect(page.contains("What came back (nurture inbound)"), "\(page.prefix(300))")
        let again = try nurture(["inbound", "--mailbox"], smtp: nil, extra: environment)
        #expect(again.stdout == "no new mail\n", "\(again.stdout) \(again.stderr)")
        let wrong = try nurture(["inbound", "--mailbox"], smtp: nil, extra: ["NURTURE_MAILBOX_PASSWORD": "wrong"])
        #expect(wrong.status == 2 && wrong.stderr.contains("the mailbox imap://127.0.0.1"), "\(wrong.stderr)")
    }

    /// Issue 37.3 over POP3 (no flags there): with `mailbox.after: delete`, each handled
    /// message is deleted, and the next run finds nothing.
    @Test func aPOP3MailboxIsReadAndEmptied() async throws {
        let server = try DovecotTestServer()
        try project.write(
            "nurture.yml",
            "smtp: { envelope_from: bounces@acme.example }\nmailbox: { url: \"\(server.pop3URL)\", after: delete }\n")
        let smtp = try SMTPTestServer()
        try addLead("zoe@example.com")
        #expect(try tick(smtp.url, at: "2030-01-07T10:00:00Z").status == 0)
        let zoe = try #require(try smtp.received().first?["mail_from"] as? String)
        try server.append(
            InboundFixture.postfixReport(
                to: zoe, recipient: "zoe@example.com", status: "5.1.1", diagnostic: "550 5.1.1 User unknown", id: "p1"))
        let environment = ["NURTURE_MAILBOX_PASSWORD": server.password]
        let read = try nurture(["inbound", "--mailbox"], smtp: nil, extra: environment)
        #expect(read.stdout.hasPrefix("message 1: bounce: zoe@example.com: bounced"), "\(read.stdout) \(read.stderr)")
        #expect(try server.search("ALL").isEmpty, "deleted once handled")
        #expect(try nurture(["inbound", "--mailbox"], smtp: nil, extra: environment).stdout == "no new mail\n")
    }

    /// Issue 37.5: one complaint in three sent passes a 10% line: the next step is held,
    /// `run`, `status` and `guard list` say why, and `guard reset` lets it go out.
    @Test func aTrippedComplaintGuardStopsTheCampaignUntilReset() async throws {
        try project.write("nurture.yml", "guard: { complaint_rate: 0.1, minimum_sent: 2 }\n")
        for name in ["zoe", "max", "ida"] { try addLead("\(name)@example.com") }
        #expect(try tick(nil, at: "2030-01-07T10:00:00Z").stdout.contains("sent 3,"))
        // What `nurture inbound` records for an ARF report about the welcome mail.
        #expect(
            try nurture(
                [
                    "event", "zoe@example.com", "complained", "--attr", "campaign=welcome", "--attr", "step=hello",
                    "--at", "2030-01-07T12:00:00Z",
                ], smtp: nil
            ).status == 0)
        let held = try tick(nil, at: "2030-01-08T10:00:00Z")
        #expect(
            held.stdout.contains("sent 0,") && held.stdout.contains("complaint guard tripped for welcome"),
            "\(held.stdout)")
        let status = try nurture(["status", "--now", "2030-01-08T10:01:00Z"], smtp: nil).stdout
        #expect(
            status.contains("welcome: mail held since Tue 2030-01-08 10:00 UTC")
                && status.contains("1 complaints in 3 sent"),
            "\(status)")
        #expect(try nurture(["guard", "list"], smtp: nil).stdout.contains("nurture guard reset welcome"))
        let serve = try await ServeProcess(in: project.url)
        let metrics = try Curl.fetch(["\(serve.baseURL)/metrics"]).body
        serve.stop()
        #expect(metrics.contains("nurture_campaign_complaint_rate{campaign=\"welcome\"} 0.333"), "\(metrics)")
        #expect(metrics.contains("nurture_campaign_complaint_guard_tripped{campaign=\"welcome\"} 1"))
        #expect(try nurture(["guard", "reset", "welcome", "--at", "2030-01-08T10:02:00Z"], smtp: nil).status == 0)
        #expect(try nurture(["guard", "reset", "welcome"], smtp: nil).status == 1, "not tripped any more")
        #expect(try tick(nil, at: "2030-01-08T10:05:00Z").stdout.contains("sent 3,"))
    }

    /// Issue 5: non-ASCII subject and From arrive intact, as standard MIME.
    @Test func internationalMessageArrivesIntact() throws {
        let server = try SMTPTestServer()
        try addLead("zoe@example.com")
        let result = try tick(server.url, at: "2030-01-07T10:00:00Z")
        #expect(result.status == 0, "\(result.stderr)")
        let message = try #require(try server.received().first)
        #expect(message["subject"] as? String == "Grüße, Zoë — dein Zugang ✓")
        #expect(message["from"] as? String == "Jürgen Groß <juergen@acme.example>")
        #expect(message["to"] as? String == "Zoë <zoe@example.com>")
        #expect(message["mail_from"] as? String == "juergen@acme.example")
        #expect(message["rcpt_tos"] as? [String] == ["zoe@example.com"])
        #expect(message["content_type"] as? String == "multipart/alternative")
        #expect((message["max_line"] as? Int ?? 9999) <= 998)
        #expect(message["bare_lf"] as? Bool == false)
        #expect(message["ascii_headers"] as? Bool == true)
        #expect((message["defects"] as? [String])?.isEmpty == true)
        let headers = message["headers"] as? [String: String] ?? [:]
        #expect(headers["Message-ID"] == "<nurture.welcome.1.hello@acme.example>")
        #expect(headers["Date"] == "Mon, 07 Jan 2030 10:00:00 +0000")
        #expect(headers["List-Unsubscribe"]?.hasPrefix("<http") == true)
        #expect(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        let parts = message["parts"] as? [[String: Any]] ?? []
        #expect(parts.map { $0["type"] as? String } == ["text/plain", "text/html"])
        #expect((parts.first?["text"] as? String)?.contains("Grüße aus Köln!") == true)
        #expect((parts.last?["text"] as? String)?.contains("https://acme.example/start?a=1&b=2") == true)
    }

    /// Issue 5: a first name with CR LF and a Bcc line adds neither a recipient nor a header.
    @Test func leadDataCannotInjectHeadersOrRecipients() throws {
        let server = try SMTPTestServer()
        // The CLI refuses such a name outright…
        #expect(
            try nurture(
                ["leads", "add", "eve@example.com", "--first-name", "Eve\r\nBcc: victim@example.org"], smtp: nil
            ).status == 1)
        // …so plant it in the store the way a buggy importer might.
        try addLead("eve@example.com", firstName: "Eve")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            project.url.appendingPathComponent("nurture.sqlite").path,
            "UPDATE leads SET first_name = 'Eve' || char(13, 10) || 'Bcc: victim@example.org' WHERE email = 'eve@example.com'",
        ]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        #expect(try tick(server.url, at: "2030-01-07T10:00:00Z").status == 0)
        let message = try #require(try server.received().first)
        #expect(message["rcpt_tos"] as? [String] == ["eve@example.com"])
        let names = message["header_names"] as? [String] ?? []
        #expect(!names.contains { $0.lowercased() == "bcc" })
        #expect((message["subject"] as? String)?.contains("\n") == false)
        #expect(
            (message["to"] as? String)?.contains("victim") == true, "the name is kept, but inside the To display name")
    }

    /// Issue 11.9: a 3,000-character name arrives whole, in lines within 998 octets.
    @Test func hugeNameArrivesWithinLineLimits() throws {
        let server = try SMTPTestServer()
        let name = String(repeating: "Q", count: 3000)
        try addLead("long@example.com", firstName: name)
        #expect(try tick(server.url, at: "2030-01-07T10:00:00Z").status == 0)
        let message = try #require(try server.received().first)
        #expect((message["max_line"] as? Int ?? 9999) <= 998)
        // RFC 2047 §6.2 joins adjacent encoded-words without the space between them;
        // Python's address parser keeps the spaces, so compare without them.
        #expect((message["to"] as? String)?.replacing(" ", with: "") == "\(name)<long@example.com>")
        #expect((message["defects"] as? [String])?.isEmpty == true)
    }

    /// Issue 5: 550 on one recipient bounces that lead only.
    @Test func refusedRecipientBouncesOnlyThatLead() throws {
        let server = try SMTPTestServer(["--reject-rcpt", "bad@example.com=550"])
        for email in ["ann@example.com", "bad@example.com", "cy@example.com"] { try addLead(email) }
        let result = try tick(server.url, at: "2030-01-07T10:00:00Z")
        #expect(result.status == 0)
        #expect(result.stdout.contains("sent 2"))
        #expect(result.stdout.contains("failed 1"))
        #expect(try server.received().count == 2)
        #expect(try nurture(["leads", "show", "bad@example.com"], smtp: nil).stdout.contains("(bounced"))
        #expect(try nurture(["leads", "show", "ann@example.com"], smtp: nil).stdout.contains("(active"))
    }

    /// Issue 5: 451 then 250 delivers exactly once, on a later tick.
    @Test func temporaryFailureIsRetriedAndDeliveredOnce() throws {
        let server = try SMTPTestServer(["--data-codes", "451,250"])
        try addLead("ann@example.com")
        let first = try tick(server.url, at: "2030-01-07T10:00:00Z")
        #expect(first.stdout.contains("retrying 1"))
        #expect(first.status == 2, "nothing could be delivered: a failure of the world")
        #expect(try server.received().isEmpty)
        // Issue 10.8: why it was not delivered, where, and why it waits.
        #expect(
            first.stderr.contains("no message could be delivered through smtp://127.0.0.1:\(server.port)"),
            "\(first.stderr)")
        #expect(first.stderr.contains("451 4.3.0 try again later"), "\(first.stderr)")
        let status = try nurture(["status", "--now", "2030-01-07T10:00:00Z"], smtp: nil).stdout
        #expect(
            status.contains(
                "welcome/hello  ann@example.com  (after the final dot: the server said \"451 4.3.0 try again later\""),
            "\(status)")
        #expect(try tick(server.url, at: "2030-01-07T10:01:00Z").stdout.contains("sent 0"))  // backoff
        #expect(try tick(server.url, at: "2030-01-07T10:06:00Z").stdout.contains("sent 1"))
        #expect(try tick(server.url, at: "2030-01-07T10:07:00Z").stdout.contains("sent 0"))
        #expect(try server.received().count == 1)
    }

    /// Issue 5: with the server down nothing is marked sent; with it up, each message goes once.
    @Test func serverDownThenUp() throws {
        for email in ["ann@example.com", "bob@example.com"] { try addLead(email) }
        let down = try tick("smtp://127.0.0.1:1", at: "2030-01-07T10:00:00Z")
        #expect(down.status == 2)
        #expect(down.stdout.contains("sent 0"))
        // Issues 10.8, 11.1: the error names the server and the cause; nothing is counted
        // against the messages, which are simply due again.
        #expect(down.stderr.contains("smtp://127.0.0.1:1: connecting: Connection refused"), "\(down.stderr)")
        let status = try nurture(["status", "--now", "2030-01-07T10:00:00Z"], smtp: nil).stdout
        #expect(status.contains("due now: 2"), "\(status)")
        #expect(status.contains("waiting for retry: -"), "\(status)")
        let server = try SMTPTestServer()
        #expect(try tick(server.url, at: "2030-01-07T10:10:00Z").stdout.contains("sent 2"))
        #expect(try tick(server.url, at: "2030-01-07T10:20:00Z").stdout.contains("sent 0"))
        let recipients = try server.received().compactMap { ($0["rcpt_tos"] as? [String])?.first }
        #expect(recipients.sorted() == ["ann@example.com", "bob@example.com"])
    }

    /// RFC 1047: the message arrived whole but the reply was lost: unknown, never resent silently.
    @Test func lostReplyAfterDataIsUnknown() throws {
        let server = try SMTPTestServer(["--drop-after-data", "lost@example.com"])
        try addLead("lost@example.com")
        try addLead("ann@example.com")
        let result = try tick(server.url, at: "2030-01-07T10:00:00Z")
        #expect(result.stdout.contains("unknown 1"))
        let status = try nurture(["status", "--now", "2030-01-07T10:00:00Z"], smtp: nil).stdout
        #expect(status.contains("unknown outcomes: 1"))
        #expect(status.contains("welcome/hello  lost@example.com"))
        _ = try tick(server.url, at: "2030-01-09T10:00:00Z")
        #expect(try server.received().filter { ($0["rcpt_tos"] as? [String]) == ["lost@example.com"] }.isEmpty)
    }

    @Test func startTLSWithAThrowAwayCertificate() throws {
        let certificate = try TestCertificate.make(in: project)
        let server = try SMTPTestServer(["--starttls", certificate.certificate, certificate.key])
        try addLead("ann@example.com")
        // Without trusting the certificate, TLS fails: the tick stops, nothing is sent.
        let untrusted = try tick(server.url, at: "2030-01-07T10:00:00Z", extra: ["NURTURE_SMTP_STARTTLS": "required"])
        #expect(untrusted.status == 2)
        #expect(untrusted.stderr.contains("the tick stopped"))
        #expect(try server.received().isEmpty)
        let trusted = try tick(
            server.url, at: "2030-01-07T10:00:00Z",
            extra: ["NURTURE_SMTP_STARTTLS": "required", "NURTURE_SMTP_CA_FILE": certificate.certificate])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(try server.received().count == 1)
    }

    /// A slow-down is honoured for the rest of its tick only: `run --every` keeps one
    /// transport across ticks, and the next tick tries the server again.
    @Test func slowDownLastsOnlyForItsTick() async throws {
        let server = try SMTPTestServer(["--final", "421"], kind: .scripted)
        try addLead("a@example.com")
        let running = try NurtureBinary.start(
            ["run", "--every", "1s"], in: project.url,
            environment: ["NURTURE_SMTP_URL": server.url, "NURTURE_SMTP_MAX_CONNECTIONS": "1"])
        func waitFor(_ line: String) async throws {
            let deadline = Date().addingTimeInterval(20)
            while !server.log().contains(line), Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        }
        // The first tick's only message meets the 421; a lead added after it (enrolment
        // is at the start of a tick) goes in a later tick.
        try await waitFor("dot")
        try addLead("b@example.com")
        try await waitFor("accepted b@example.com")
        kill(running.process.processIdentifier, SIGTERM)
        let result = try running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(server.log().contains("accepted b@example.com"), "\(result.stdout)\n\(server.log())")
    }

    /// A 421 "rate limit" makes the transport leave the server alone for the rest of the tick.
    @Test func slowDownDefersTheRestOfTheTick() throws {
        let server = try SMTPTestServer(["--slow-down", "1"])
        for email in ["a@example.com", "b@example.com", "c@example.com"] { try addLead(email) }
        let first = try tick(server.url, at: "2030-01-07T10:00:00Z", extra: ["NURTURE_SMTP_MAX_CONNECTIONS": "1"])
        #expect(first.stdout.contains("sent 0"))
        #expect(first.stdout.contains("retrying 3"))
        #expect(try tick(server.url, at: "2030-01-07T10:10:00Z").stdout.contains("sent 3"))
        #expect(try server.received().count == 3)
    }
}

/// Volume through postfix's smtp-sink: many messages over several reused connections.
@Suite struct SMTPVolumeTests {
    @Test func fiveHundredMessagesOverFourConnections() throws {
        let project = try TemporaryDirectory("nurture-volume")
        try project.write("templates/a.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "campaigns/c.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps: [{ id: one, subject: "Hi {{first_name}}", template: a }]
            """)
        var csv = "email,first_name,tags\n"
        for index in 0..<500 { csv += "l\(index)@example.com,L\(index),t\n" }
        try project.write("leads.csv", csv)
        #expect(try NurtureBinary.run(["leads", "import", "leads.csv"], in: project.url).status == 0)

        // smtp-sink -c counts the messages it received ("." seen) on stdout.
        let port = try freeLoopbackPort()
        let sink = Process()
        // Through a tiny exec wrapper that unblocks SIGTERM (the test runner may start
        // children with it blocked): smtp-sink writes its counters out when it exits.
        sink.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        sink.arguments = [
            "-c",
            "import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL); signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM]); os.execv(sys.argv[1], sys.argv[1:])",
            "/usr/sbin/smtp-sink", "-c", "-u", "nobody", "127.0.0.1:\(port)", "100",
        ]
        let output = project.url.appendingPathComponent("sink.out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        sink.standardOutput = try FileHandle(forWritingTo: output)
        try sink.run()
        defer { if sink.isRunning { kill(sink.processIdentifier, SIGKILL) } }
        Thread.sleep(forTimeInterval: 0.5)

        let result = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url,
            environment: ["NURTURE_SMTP_URL": "smtp://127.0.0.1:\(port)", "NURTURE_SMTP_MAX_CONNECTIONS": "4"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("sent 500,"))
        sink.terminate()
        sink.waitUntilExit()
        // Its counter lines read "sess=N quit=N mesg=N".
        let counters = try String(contentsOf: output, encoding: .utf8)
            .split(whereSeparator: { $0 == "\r" || $0 == "\n" })
            .compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("mesg=") }.flatMap { Int($0.dropFirst(5)) }
            }
        #expect(counters.max() == 500, "smtp-sink counted \(counters.max() ?? 0)")
    }
}
