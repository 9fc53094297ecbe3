import Foundation
import NurtureTestSupport
import Testing

/// Issue 12: several senders and several servers on one PostgreSQL store, with the built
/// binary, a real PostgreSQL server and a real (slowed) SMTP server.
@Suite(.serialized) struct PostgresSendersTests {
    let project: TemporaryDirectory
    let database: String

    init() throws {
        project = try TemporaryDirectory("nurture-pg-senders")
        database = try StoreKind.postgres.databaseArgument(in: project)
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}, see https://acme.example/start\n")
        try project.write("templates/later.txt.mustache", "Still there, {{first_name}}?\n")
        try project.write("nurture.yml", "smtp: { max_connections: 2 }\n")
    }

    func nurture(_ arguments: String..., environment: [String: String] = [:]) throws -> NurtureBinary.Result {
        let result = try NurtureBinary.run(
            arguments, in: project.url, environment: environment.merging(["NURTURE_DB": database]) { $1 })
        #expect(result.status == 0, "nurture \(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    func importLeads(_ count: Int) throws {
        var csv = "email,first_name,tags\n"
        for index in 0..<count { csv += "lead\(index)@example.com,Lead\(index),trial\n" }
        try project.write("leads.csv", csv)
        _ = try nurture("leads", "import", "leads.csv")
    }

    /// Issue 41.8: TLS required of a server that offers none is said in words, exit 2.
    @Test func requiredTLSFromAServerWithoutItIsSaidInWords() throws {
        let plain = database.replacingOccurrences(of: "sslmode=disable", with: "sslmode=require")
        let result = try NurtureBinary.run(["status"], in: project.url, environment: ["NURTURE_DB": plain])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does not offer TLS, which sslmode=require requires"), "\(result.stderr)")
        #expect(!result.stderr.contains("PSQLError"), "\(result.stderr)")
    }

    /// How many messages the server accepted for each recipient.
    func accepted(_ server: SMTPTestServer) -> [String: Int] {
        server.log().filter { $0.hasPrefix("accepted ") }.reduce(into: [:]) {
            $0[String($1.dropFirst(9)), default: 0] += 1
        }
    }

    /// Three `run --every 1s` senders over 3,000 due leads into a slow SMTP server; one is
    /// killed with `kill -9` mid-batch. Every lead gets the step at most once; every lead
    /// that got nothing is listed by `status` as in doubt (the killed sender had handed
    /// its message over); nothing is left claimed or lost.
    /// The kill is timed on a thread of its own (`OwnThread`); the waits after it sleep
    /// without holding a thread of the shared pool.
    @Test func threeSendersShareTheWorkAndAKilledOneLosesAndDuplicatesNothing() async throws {
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: "Hello", template: hello }]
            """)
        try importLeads(3_000)
        // 40 ms a message: about 20 s for the whole run, so the kill lands mid-way even on
        // a loaded machine.
        let server = try SMTPTestServer(["--dot-delay-ms", "40"], kind: .scripted)
        let environment = ["NURTURE_SMTP_URL": server.url, "NURTURE_LEASE": "3s", "NURTURE_DB": database]
        let senders = try (0..<3).map { _ in
            try NurtureBinary.start(["run", "--every", "1s"], in: project.url, environment: environment)
        }
        // Kill the first sender once the three have delivered a third between them.
        let atKill = try await OwnThread.run { [self] in
            let deadline = Date().addingTimeInterval(120)
            while accepted(server).values.reduce(0, +) < 1_000, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            senders[0].kill()
            _ = try senders[0].wait()
            return accepted(server).values.reduce(0, +)
        }
        #expect(atKill < 3_000, "the kill should land mid-way (\(atKill) delivered)")

        // The other two finish the work, and settle what the dead one left in flight once
        // its lease has run out.
        let deadline = Date().addingTimeInterval(180)
        var status = ""
        while Date() < deadline {
            try await Task.sleep(for: .seconds(1))
            status = try nurture("status").stdout
            let unknown = Int(status.firstMatch(of: /unknown outcomes: (\d+)/)?.1 ?? "0") ?? 0
            if accepted(server).count + unknown >= 3_000 && !status.contains("being sent right now")
                && status.contains("due now: 0")
            {
                break
            }
        }
        for sender in senders.dropFirst() { sender.process.terminate() }
        let results = try senders.dropFirst().map { try $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")

        let byRecipient = accepted(server)
        #expect(byRecipient.values.allSatisfy { $0 == 1 }, "duplicates: \(byRecipient.filter { $0.value > 1 })")
        let notDelivered = (0..<3_000).map { "lead\($0)@example.com" }.filter { byRecipient[$0] == nil }
        // Each lead not delivered to was in the dead sender's hands: in doubt, and named.
        // At most two groups of `admit_ahead` (4 by default) per connection (2).
        #expect(
            notDelivered.count <= 2 * 4 * 2,
            "at most eight messages per connection of the killed sender: \(notDelivered)")
        for email in notDelivered {
            #expect(status.contains(email), "\(email) got nothing and is not listed as in doubt:\n\(status)")
        }
        #expect(status.contains("due now: 0"), "\(status)")
        #expect(!status.contains("being sent right now"), "\(status)")
        // Every sender did part of the work.
        for result in results {
            let sent = result.stdout.matches(of: /: sent (\d+)/).compactMap { Int($0.1) }.reduce(0, +)
            #expect(sent > 0, "a sender sent nothing: \(result.stdout)")
        }
    }

    /// Two `serve` processes on one store behind a (pretend) load balancer: a link signed
    /// by a sender works on either (the secret is shared through the store), an unsubscribe
    /// answered by one stops the mail of every sender, and a click on the other is counted.
    @Test func anUnsubscribeOnOneServerStopsEverySender() async throws {
        try project.write(
            "campaigns/drip.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Hello", template: hello }
              - { id: later, wait: 1d, subject: "Later", template: later }
            """)
        try importLeads(40)
        let port = try freeLoopbackPort()
        let server = try SMTPTestServer([], kind: .scripted)
        let environment = ["NURTURE_SMTP_URL": server.url, "NURTURE_BASE_URL": "http://127.0.0.1:\(port)"]
        _ = try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z", environment: environment)
        #expect(accepted(server).count == 40)

        let folder = server.folder.url.appendingPathComponent("received")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }
        let messages = try names.map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        let lead3 = try #require(messages.first { $0.contains("<lead3@example.com>") })
        let lead4 = try #require(messages.first { $0.contains("<lead4@example.com>") })
        func link(_ prefix: String, in message: String) throws -> String {
            let flat = message.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
            let start = try #require(flat.range(of: prefix))
            return String(flat[start.lowerBound...].prefix { !$0.isWhitespace && $0 != ">" && $0 != "\"" })
        }
        let unsubscribe = try link("http://127.0.0.1:\(port)/u/", in: lead3)
        let click = try link("http://127.0.0.1:\(port)/c/", in: lead4)

        let db = ["NURTURE_DB": database]
        let first = try await ServeProcess(in: project.url, port: port, environment: db)
        defer { first.stop() }
        let second = try await ServeProcess(in: project.url, environment: db)
        defer { second.stop() }
        let posted = try Curl.fetch(["-X", "POST", "-d", "List-Unsubscribe=One-Click", unsubscribe])
        #expect(posted.status == 200 && posted.body.contains("You are unsubscribed"), "\(posted.body)")
        // The same link on the other server: it knows the secret and the lead's state.
        let onSecond = try Curl.fetch([unsubscribe.replacingOccurrences(of: first.baseURL, with: second.baseURL)])
        #expect(onSecond.status == 200, "\(onSecond.body)")
        let clicked = try Curl.fetch([click.replacingOccurrences(of: first.baseURL, with: second.baseURL)])
        #expect(clicked.status == 302, "a click on the second server redirects: \(clicked.status)")

        // Three senders at once for step two: every lead but the one who left gets it once.
        let senders = try (0..<3).map { _ in
            try NurtureBinary.start(
                ["run", "--once", "--now", "2030-01-09T10:00:00Z"], in: project.url,
                environment: environment.merging(db) { $1 })
        }
        let results = try senders.map { try $0.wait() }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let byRecipient = accepted(server)
        #expect(byRecipient["lead3@example.com"] == 1, "lead3 got step one only")
        #expect(
            byRecipient.filter { $0.key != "lead3@example.com" }.values.allSatisfy { $0 == 2 },
            "\(byRecipient.filter { $0.value != 2 })")
        #expect(byRecipient.count == 40)
        let shown = try nurture("leads", "show", "lead4@example.com").stdout
        #expect(shown.contains("click"), "the click recorded by the second server shows: \(shown)")
    }

    /// The same person's first open reaching both servers at once (a mail client loading
    /// the pixel twice, the balancer sending each to a different replica): it scores once.
    @Test func aFirstOpenRacingOnTwoServersScoresOnce() async throws {
        try project.write("nurture.yml", "score: { open: 1, click: 3 }\n")
        try project.write("templates/hello.html.mustache", "<p>Hello {{first_name}}</p>\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: "Hello", template: hello }]
            """)
        try importLeads(1)
        let db = ["NURTURE_DB": database]
        let first = try await ServeProcess(in: project.url, environment: db)
        defer { first.stop() }
        let second = try await ServeProcess(in: project.url, environment: db)
        defer { second.stop() }
        let outbox = project.url.appendingPathComponent("outbox")
        _ = try nurture("run", "--once", environment: ["NURTURE_BASE_URL": first.baseURL])
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: outbox.path).first { $0.hasSuffix(".eml") })
        let message = try String(contentsOf: outbox.appendingPathComponent(name), encoding: .utf8)
            .replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        let start = try #require(message.range(of: "\(first.baseURL)/o/"))
        let pixel = String(message[start.lowerBound...].prefix { $0 != "\"" && !$0.isWhitespace })
        // Opens in the first seconds after delivery are a scanner's; wait them out.
        try await Task.sleep(for: .seconds(3))
        let onSecond = pixel.replacingOccurrences(of: first.baseURL, with: second.baseURL)
        let statuses = try Curl.fetchAtOnce(
            Array(repeating: pixel, count: 12) + Array(repeating: onSecond, count: 12),
            arguments: ["-A", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"])
        #expect(statuses.count == 24 && statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let shown = try nurture("leads", "show", "lead0@example.com").stdout
        #expect(shown.contains("score 1"), "24 opens of one message, on two servers at once, score one point: \(shown)")
        let report =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("report", "welcome", "--format", "json").stdout.utf8)) as? [[String: Any]]
        let step = try #require((report?.first?["steps"] as? [[String: Any]])?.first)
        #expect(step["unique_opens"] as? Int == 1 && step["total_opens"] as? Int == 24, "\(step)")
    }

    /// A dry run on PostgreSQL shows what a tick would send and leaves the store as it was.
    @Test func aDryRunChangesNothing() throws {
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: "Hello", template: hello }]
            """)
        try importLeads(5)
        let dry = try nurture("run", "--once", "--dry-run", "--now", "2030-01-07T10:00:00Z")
        #expect(dry.stdout.components(separatedBy: "would send welcome/hello to").count - 1 == 5, "\(dry.stdout)")
        #expect(dry.stdout.contains("dry run (nothing was changed): sent 5"), "\(dry.stdout)")
        let status = try nurture("status", "--now", "2030-01-07T10:00:00Z").stdout
        #expect(status.contains("active enrolments: 0"), "the dry run's enrolments were rolled back: \(status)")
        let real = try nurture("run", "--once", "--now", "2030-01-07T10:00:00Z")
        #expect(real.stdout.contains("sent 5,"), "\(real.stdout)")
    }
}
