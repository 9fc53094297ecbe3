import Foundation
import NurtureTestSupport
import Testing

/// Issue 11.1: failures classified by the stage of the SMTP conversation, against a
/// scripted server (Tests/Fixtures/smtp_script.py) that fails the stage it is told.
@Suite(.serialized) struct SMTPStageTests {
    let project: TemporaryDirectory
    let leads = ["ann@example.com", "bob@example.com", "cy@example.com"]

    init() throws {
        project = try TemporaryDirectory("nurture-smtp-stage")
        // About 6 KB of body: larger than one read of libcurl's, as real mail is.
        let paragraph = String(repeating: "Nurture keeps its promises, line by line. ", count: 4)
        try project.write(
            "templates/hello.txt.mustache",
            "Hello {{first_name}},\n\n" + Array(repeating: paragraph, count: 36).joined(separator: "\n") + "\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            id: welcome
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Hello {{first_name}}", template: hello }
            """)
        try project.write("nurture.yml", "smtp: { timeout: 2, max_connections: 1 }\n")
        for email in leads {
            let added = try NurtureBinary.run(
                ["leads", "add", email, "--first-name", "Ann", "--tag", "trial"], in: project.url)
            #expect(added.status == 0, "\(added.stderr)")
        }
    }

    func tick(_ server: SMTPTestServer, at time: String = "2030-01-07T10:00:00Z") throws -> NurtureBinary.Result {
        try NurtureBinary.run(
            ["run", "--once", "--now", time], in: project.url, environment: ["NURTURE_SMTP_URL": server.url])
    }

    func leadStatus(_ email: String) throws -> String {
        try NurtureBinary.run(["leads", "show", email], in: project.url).stdout
    }

    /// After a failure that concerns the server, a healthy server gets every message once.
    func expectEveryLeadMailedOnceByAHealthyServer(at time: String) throws {
        let healthy = try SMTPTestServer()
        let result = try tick(healthy, at: time)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("sent 3"), "\(result.stdout)")
        let recipients = try healthy.received().compactMap { ($0["rcpt_tos"] as? [String])?.first }
        #expect(recipients.sorted() == leads)
    }

    @Test(arguments: [["--greeting", "554"], ["--greeting", "421"], ["--ehlo", "550"], ["--ehlo", "421"]])
    func refusalBeforeMailFromStopsTheTickAndLosesNothing(_ script: [String]) throws {
        let server = try SMTPTestServer(script, kind: .scripted)
        let result = try tick(server)
        #expect(result.status == 2, "the server is down: a failure of the world")
        #expect(result.stdout.contains("sent 0"))
        #expect(result.stdout.contains("failed 0"), "\(result.stdout)")
        // The cause names the server and quotes its reply.
        #expect(result.stderr.contains("127.0.0.1:\(server.port)"), "\(result.stderr)")
        #expect(result.stderr.contains(script[1]), "\(result.stderr)")
        // One connection tried, nothing after MAIL FROM, nobody bounced.
        #expect(!server.log().contains("MAIL"))
        for email in leads { #expect(try leadStatus(email).contains("(active")) }
        try expectEveryLeadMailedOnceByAHealthyServer(at: "2030-01-07T10:01:00Z")
    }

    /// Issue 36.10: after a tick stopped by the server, `status` says when and why
    /// (server, stage, cause) until a tick delivers again.
    @Test func statusSaysWhyTheLastTickStoppedUntilOneDelivers() throws {
        let down = try SMTPTestServer(["--greeting", "554"], kind: .scripted)
        #expect(try tick(down).status == 2)
        let status = try NurtureBinary.run(["status", "--now", "2030-01-07T10:00:00Z"], in: project.url).stdout
        #expect(status.contains("last tick stopped at "), "\(status)")
        #expect(
            status.contains("127.0.0.1:\(down.port)") && status.contains("at the greeting") && status.contains("554"),
            "\(status)")
        try expectEveryLeadMailedOnceByAHealthyServer(at: "2030-01-07T10:01:00Z")
        #expect(!(try NurtureBinary.run(["status"], in: project.url).stdout.contains("last tick stopped")))
    }

    @Test func mailboxFullAtRcptIsTemporaryAndBouncesNobody() throws {
        let server = try SMTPTestServer(["--rcpt", "552"], kind: .scripted)
        let result = try tick(server)
        #expect(result.stdout.contains("retrying 3"), "\(result.stdout)")
        #expect(result.stdout.contains("failed 0"))
        for email in leads { #expect(try leadStatus(email).contains("(active")) }
        try expectEveryLeadMailedOnceByAHealthyServer(at: "2030-01-07T11:00:00Z")
    }

    @Test func refusedRecipientStillBounces() throws {
        let server = try SMTPTestServer(["--rcpt", "550"], kind: .scripted)
        let result = try tick(server)
        #expect(result.stdout.contains("failed 3"), "\(result.stdout)")
        #expect(try leadStatus("ann@example.com").contains("(bounced"))
    }

    @Test func connectionDroppedBeforeTheDotIsDeferredNotUnknown() throws {
        // Larger than the socket buffers: the reset (after the body's first line) makes a
        // write fail, so the dot provably never reached the server.
        let paragraph = String(repeating: "Nurture keeps its promises, line by line. ", count: 4)
        try project.write(
            "templates/hello.txt.mustache",
            "Hello {{first_name}},\n\n" + Array(repeating: paragraph, count: 20_000).joined(separator: "\n") + "\n")
        let server = try SMTPTestServer(["--drop-in-body"], kind: .scripted)
        let result = try tick(server)
        #expect(!result.stdout.contains("unknown"), "\(result.stdout)")
        #expect(result.stdout.contains("retrying 3"), "\(result.stdout)")
        #expect(server.log().contains("drop"))
        try expectEveryLeadMailedOnceByAHealthyServer(at: "2030-01-07T11:00:00Z")
    }

    /// Issue 41.10: a reset after the whole body and the dot were written proves
    /// nothing (the message was queued here): unknown, never resent on its own.
    @Test func aResetAfterTheDotIsUnknownNotResent() throws {
        let server = try SMTPTestServer(["--reset-after-dot"], kind: .scripted)
        let result = try tick(server)
        #expect(result.stdout.contains("unknown 3"), "\(result.stdout)")
        #expect(server.log().filter { $0.hasPrefix("accepted") }.count == 3)
        _ = try tick(server, at: "2030-01-08T10:00:00Z")
        let accepted = server.log().filter { $0.hasPrefix("accepted") }
        #expect(accepted.count == 3, "nobody got a second copy: \(accepted)")
    }

    @Test func serverThatHangsAfterTheDotBacksOffTheRestOfTheTick() throws {
        let server = try SMTPTestServer(["--hang-after-dot"], kind: .scripted)
        let started = Date()
        let result = try tick(server)
        let seconds = Date().timeIntervalSince(started)
        // The first message may have arrived (RFC 1047): unknown. The others are not tried.
        #expect(result.stdout.contains("unknown 1"), "\(result.stdout)")
        #expect(result.stdout.contains("retrying 2"), "\(result.stdout)")
        #expect(server.log().filter { $0 == "dot" }.count == 1, "\(server.log())")
        #expect(seconds < 4 + 2, "one 2 s timeout, not one per message (took \(seconds) s)")
    }

    /// Issue 41.3: a 421 to MAIL FROM leaves the server alone for the rest of the tick;
    /// the messages queued behind it never reached the server and are not charged an
    /// attempt. Thirteen ticks 7 h apart (more than the 12 attempts allowed) fail nobody.
    @Test func messagesQueuedBehindASlowDownAreNotChargedAnAttempt() throws {
        let server = try SMTPTestServer(["--mail", "421"], kind: .scripted)
        var time = try Date.ISO8601FormatStyle().parse("2030-01-07T10:00:00Z")
        for _ in 0..<13 {
            let result = try tick(server, at: time.formatted(.iso8601))
            #expect(result.stdout.contains("failed 0"), "\(result.stdout)")
            time = time.addingTimeInterval(7 * 3600)
        }
        #expect(server.log().filter { $0 == "MAIL" }.count == 13, "one message reached the server per tick")
        for email in leads { #expect(try leadStatus(email).contains("(active")) }
        try expectEveryLeadMailedOnceByAHealthyServer(at: time.formatted(.iso8601))
    }

    @Test func refusedSenderStopsTheTickWithoutFailingAnyone() throws {
        let server = try SMTPTestServer(["--mail", "553"], kind: .scripted)
        let result = try tick(server)
        #expect(result.status == 2)
        #expect(result.stdout.contains("failed 0"), "\(result.stdout)")
        #expect(result.stderr.contains("553"), "\(result.stderr)")
        try expectEveryLeadMailedOnceByAHealthyServer(at: "2030-01-07T10:01:00Z")
    }
}
