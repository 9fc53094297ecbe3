import Foundation
import NurtureTestSupport
import Testing

/// Issue 14.4 with the built binary: a subscription from the form is not a lead (and is
/// mailed nothing but its confirmation) until its owner follows the signed link.
@Suite(.serialized) struct DoubleOptInTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-optin")
        try Repository.copyExample(into: project)
        try project.write(
            "nurture.yml",
            """
            subscribe:
              tags: [trial]
              fields: [company, timezone]
              confirm: true
              from: "Acme <hello@acme.example>"
              confirm_subject: "Confirm your subscription to Acme"
              pending_days: 3

            """)
        try project.write("templates/confirm.txt.mustache", "Hi {{first_name}}, please confirm: {{confirm_url}}\n")
    }

    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    func outbox() -> [String] {
        let folder = project.url.appendingPathComponent("outbox")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().compactMap {
            try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)
        }
    }

    /// The outbox once it holds `count` mails: confirmations go out after the form's
    /// answer (issue 41.5), so they are waited for (10 s at most), then given a moment
    /// more in which any mail too many would show.
    func outbox(waitingFor count: Int) async throws -> [String] {
        for _ in 0..<100 where outbox().count < count { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .milliseconds(300))
        return outbox()
    }

    @Test func aSubscriptionWaitsForItsOwnersConfirmation() async throws {
        let port = try freeLoopbackPort()
        let server = try await ServeProcess(
            in: project.url, port: port, environment: ["NURTURE_BASE_URL": "http://127.0.0.1:\(port)"])
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL]
        let posted = try Curl.fetch([
            "-d",
            "email=zoe@example.com&name=Zoe&tags=trial&utm_source=ads&company=Zoetrope&timezone=Europe%2FBerlin&role=admin",
            "\(server.baseURL)/subscribe",
        ])
        #expect(posted.status == 200 && posted.body.contains("check your inbox"))
        #expect(try nurture("leads", "show", "zoe@example.com").status == 1, "not a lead yet")
        // A second request within the hour mails nothing more, and rewrites nothing of
        // the first (issue 41.7: a third party cannot rename a pending subscription).
        #expect(
            try Curl.fetch(["-d", "email=zoe@example.com&name=Mallory&company=Evil", "\(server.baseURL)/subscribe"])
                .status == 200)
        let mails = try await outbox(waitingFor: 1)
        #expect(mails.count == 1, "one confirmation: \(mails.count)")
        let mail = try #require(mails.first).replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(
            of: "=3D", with: "=")
        #expect(mail.contains("Subject: Confirm your subscription to Acme"))
        #expect(!mail.contains("List-Unsubscribe"))
        let link = try #require(
            mail.components(separatedBy: "\(server.baseURL)/subscribe/confirm/").dropFirst().first.map {
                "\(server.baseURL)/subscribe/confirm/" + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        // Pending leads are never enrolled: the trial campaign sends nothing.
        #expect(try nurture("run", "--once", environment: environment).stdout.hasPrefix("sent 0,"))

        // A scanner's GET confirms nothing; a tampered token is refused.
        let page = try Curl.fetch([link])
        #expect(page.status == 200 && page.body.contains("<form method=\"post\">"))
        #expect(try nurture("leads", "show", "zoe@example.com").status == 1)
        #expect(try Curl.fetch(["-X", "POST", link + "x"]).status == 404)
        let confirmed = try Curl.fetch(["-X", "POST", link])
        #expect(confirmed.status == 200 && confirmed.body.contains("You are subscribed"))
        #expect(try Curl.fetch(["-X", "POST", link]).status == 404, "once")

        let shown = try nurture("leads", "show", "zoe@example.com")
        #expect(shown.stdout.contains("(active"), "\(shown.stdout)")
        #expect(shown.stdout.contains("tags:       trial"))
        #expect(shown.stdout.contains("Zoe") && !shown.stdout.contains("Mallory"), "\(shown.stdout)")
        let json =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "zoe@example.com", "--format", "json").stdout.utf8))
            as? [String: Any]
        let lead = (json?["lead"] as? [String: Any]) ?? json ?? [:]
        #expect(lead["attributes"] as? [String: String] == ["company": "Zoetrope"], "kept while pending: \(lead)")
        #expect(lead["timezone"] as? String == "Europe/Berlin")
        #expect(shown.stdout.contains("source:     ads"))
        #expect(shown.stdout.contains("event subscription_confirmed (ip=127.0.0.1)"), "\(shown.stdout)")
        let tick = try nurture("run", "--once", "--now", "2030-01-07T15:00:00Z", environment: environment)
        #expect(tick.stdout.hasPrefix("sent 1,"), "now the campaign takes her in: \(tick.stdout)")
    }

    @Test func anUnconfirmedSubscriptionIsForgottenAfterItsDays() async throws {
        let port = try freeLoopbackPort()
        let server = try await ServeProcess(
            in: project.url, port: port, environment: ["NURTURE_BASE_URL": "http://127.0.0.1:\(port)"])
        defer { server.stop() }
        #expect(try Curl.fetch(["-d", "email=amy@example.com", "\(server.baseURL)/subscribe"]).status == 200)
        let mail = try #require(try await outbox(waitingFor: 1).first).replacingOccurrences(of: "=\r\n", with: "")
            .replacingOccurrences(of: "=3D", with: "=")
        let token = try #require(
            mail.components(separatedBy: "/subscribe/confirm/").dropFirst().first?.prefix {
                $0.isLetter || $0.isNumber || "-_.".contains($0)
            })
        // A tick four days on forgets it: the link no longer works.
        #expect(
            try nurture("run", "--once", "--now", Date().addingTimeInterval(4 * 86_400).formatted(.iso8601)).status == 0
        )
        #expect(try Curl.fetch(["\(server.baseURL)/subscribe/confirm/\(token)"]).status == 404)
        #expect(try Curl.fetch(["-X", "POST", "\(server.baseURL)/subscribe/confirm/\(token)"]).status == 404)
        #expect(try nurture("leads", "show", "amy@example.com").status == 1)
    }

    /// Issue 41.5: the form answers a known lead's address as fast as a new one's: the
    /// confirmation is mailed after the answer (here through an SMTP server that takes
    /// 300 ms to accept each mail), never inside the request.
    @Test func knownAndNewAddressesAnswerInTheSameTime() async throws {
        let smtp = try SMTPTestServer(["--dot-delay-ms", "300"], kind: .scripted)
        let server = try await ServeProcess(in: project.url, environment: ["NURTURE_SMTP_URL": smtp.url])
        defer { server.stop() }
        #expect(try nurture("leads", "add", "known@example.com").status == 0)
        func timed(_ address: String) throws -> Double {
            let started = Date()
            #expect(try Curl.fetch(["-d", "email=\(address)&tags=trial", "\(server.baseURL)/subscribe"]).status == 200)
            return Date().timeIntervalSince(started)
        }
        var known: [Double] = []
        var new: [Double] = []
        for index in 0..<5 {
            known.append(try timed("known@example.com"))
            new.append(try timed("new\(index)@example.com"))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        // Before, each new address waited for its mail: 300 ms and more.
        #expect(median(new) < 0.2, "new: \(new), known: \(known)")
        var accepted: [String] = []
        for _ in 0..<100 {
            accepted = smtp.log().filter { $0.hasPrefix("accepted") }
            if accepted.count >= 5 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(
            Set(accepted) == Set((0..<5).map { "accepted new\($0)@example.com" }),
            "a confirmation to each new address, none to the lead: \(accepted)")
    }

    /// Issue 41.7: confirmation mails, all addresses together, are held to
    /// `subscribe.confirmations_per_minute`; the rest wait in the outbox (pending, not
    /// lost) for the next minute.
    @Test func confirmationMailsAreHeldToTheirRatePerMinute() async throws {
        try project.write(
            "nurture.yml",
            """
            subscribe:
              tags: [trial]
              confirm: true
              from: "Acme <hello@acme.example>"
              per_client_per_minute: 50
              confirmations_per_minute: 3

            """)
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        for index in 0..<6 {
            #expect(
                try Curl.fetch(["-d", "email=rate\(index)@example.com", "\(server.baseURL)/subscribe"]).status == 200)
        }
        // Three go out at once; give the others a few seconds in which they would show.
        _ = try await outbox(waitingFor: 3)
        try await Task.sleep(for: .seconds(2))
        let mails = outbox()
        #expect(mails.count == 3, "three confirmations in the first minute: \(mails.count)")
        let mailed = Set(mails.compactMap { $0.firstMatch(of: /To: <?(rate\d@example\.com)/).map { String($0.1) } })
        #expect(
            mailed == ["rate0@example.com", "rate1@example.com", "rate2@example.com"],
            "the first three, in order: \(mailed)")
    }
}
