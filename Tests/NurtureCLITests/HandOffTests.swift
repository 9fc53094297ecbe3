import Foundation
import NurtureTestSupport
import Testing

/// Issue 14's acceptance with the built binary: a lead whose fit and a click cross 30
/// enters `mql`, gets the campaign that enrols on it, and the CRM's receiver gets exactly
/// one signed webhook for it, although it was down for the first attempt.
@Suite(.serialized) struct HandOffTests {
    let project: TemporaryDirectory
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    let secret = "whsec-test-0123456789"
    let receiverPort: Int

    init() throws {
        project = try TemporaryDirectory("nurture-handoff")
        receiverPort = try freeLoopbackPort()
        try project.write(
            "templates/welcome.html.mustache",
            "<html><body><p>Hi {{first_name}}, <a href=\"https://acme.example/pricing\">see pricing</a>.</p></body></html>"
        )
        try project.write("templates/sales.txt.mustache", "Hi {{first_name}}, a person from sales will call.\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: welcome, subject: Welcome, template: welcome }
            """)
        try project.write(
            "campaigns/qualified.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { events: [mql] }
            steps:
              - { id: call, subject: Shall we talk?, template: sales }
            """)
        try project.write(
            "nurture.yml",
            """
            tracking: { machine_window: 0 }
            score:
              click: 10
              fit:
                - { attribute: employees, at_least: 200, points: 20 }
            stages:
              - { id: mql, when: { score_at_least: 30 } }
            webhooks:
              - { url: "http://127.0.0.1:\(receiverPort)/hooks/nurture", events: [mql, unsubscribed] }

            """)
    }

    func nurture(_ arguments: String..., environment: [String: String]) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url, environment: environment)
    }

    func sent(to email: String, subject: String) throws -> String? {
        let folder = project.url.appendingPathComponent("outbox")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            if text.contains(email), text.contains("Subject: \(subject)") {
                return text.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            }
        }
        return nil
    }

    @Test func aLeadThatQualifiesIsHandedOverOnceAndSigned() async throws {
        let server = try await ServeProcess(in: project.url, environment: ["NURTURE_WEBHOOK_SECRET": secret])
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL, "NURTURE_WEBHOOK_SECRET": secret]
        #expect(
            try nurture(
                "leads", "add", "ann@acme.example", "--first-name", "Ann", "--tag", "trial", "--attr", "employees=500",
                environment: environment
            ).status == 0)
        #expect(
            try nurture(
                "leads", "add", "bo@acme.example", "--first-name", "Bo", "--tag", "trial", environment: environment
            ).status == 0)
        let first = try nurture("run", "--once", environment: environment)
        #expect(first.stdout.hasPrefix("sent 2,"), "\(first.stdout)\(first.stderr)")
        #expect(
            try nurture("leads", "list", "--stage", "mql", "--format", "csv", environment: environment).stdout.split(
                separator: "\n"
            ).count == 1,
            "fit 20 alone is no mql")

        // Ann clicks (the last tracked link: the first is the hidden decoy): 20 + 10.
        let welcome = try #require(try sent(to: "ann@acme.example", subject: "Welcome"))
        let link = try #require(
            welcome.components(separatedBy: "\(server.baseURL)/c/").dropFirst().last.map {
                "\(server.baseURL)/c/" + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })
        #expect(try Curl.fetch(["-A", firefox, link]).status == 302)
        // Issue 15.3: per link, who clicked what.
        let links = try nurture("report", "welcome", "--links", "--format", "csv", environment: environment)
        #expect(
            links.stdout
                == "campaign,step,variant,part,position,url,unique_human_clicks,human_clicks,machine_clicks\nwelcome,welcome,,html,1,https://acme.example/pricing,1,1,0\n",
            "\(links.stdout)\(links.stderr)")
        // serve checks her stage at once and tries the webhook: the receiver is down.
        var status = ""
        for _ in 0..<100 {
            status = try nurture("status", environment: environment).stdout
            if status.contains("webhooks waiting: 1 (1 failing") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(status.contains("webhooks waiting: 1 (1 failing"), "\(status)")
        #expect(status.contains("last failure: http://127.0.0.1:\(receiverPort)/hooks/nurture"), "\(status)")
        #expect(
            try nurture("leads", "show", "ann@acme.example", environment: environment).stdout.contains(
                "stages:     mql"))

        // The receiver comes up; the next tick (past the first retry's wait) sends the
        // campaign that waits for mql, and the webhook, once.
        let receiver = try WebhookReceiver(secret: secret, port: receiverPort)
        defer { receiver.stop() }
        let later = Date().addingTimeInterval(180).formatted(.iso8601)
        let second = try nurture("run", "--once", "--now", later, environment: environment)
        #expect(
            second.stdout.contains("sent 1,") && second.stdout.contains("webhooks delivered 1"),
            "\(second.stdout)\(second.stderr)")
        #expect(try sent(to: "ann@acme.example", subject: "Shall we talk?") != nil)
        #expect(try sent(to: "bo@acme.example", subject: "Shall we talk?") == nil)
        #expect(try nurture("run", "--once", "--now", later, environment: environment).stdout.contains("sent 0,"))

        let received = try receiver.received()
        #expect(received.count == 1, "exactly one: \(received)")
        let hook = try #require(received.first)
        #expect(hook["signature_valid"] as? Bool == true, "checked with Python's hmac under the secret")
        let headers = hook["headers"] as? [String: String] ?? [:]
        #expect(headers["x-nurture-event"] == "mql")
        #expect(headers["x-nurture-delivery"]?.hasPrefix("nurture-") == true)
        #expect(headers["idempotency-key"] == headers["x-nurture-delivery"])
        let body = hook["body"] as? [String: Any] ?? [:]
        #expect(body["event"] as? String == "mql")
        #expect((body["lead"] as? [String: Any])?["email"] as? String == "ann@acme.example")
        #expect(body["score"] as? Double == 30 && body["fit"] as? Int == 20)
        #expect(body["stage"] as? String == "mql")
        #expect(body["id"] as? String == headers["x-nurture-delivery"])
        #expect(
            try nurture("status", environment: environment).stdout.contains("webhooks waiting") == false,
            "nothing left to send")
    }
}
