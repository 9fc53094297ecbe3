import Foundation
import NurtureTestSupport
import Testing

/// Issues 11.4 and 11.7: a message is admitted (moved to `sending`, its lead's status
/// checked) one at a time, right before it is handed to SMTP.
@Suite(.serialized) struct HandOverTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-hand-over")
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write("campaigns/welcome.yml", """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: "Hello", template: hello }]
            """)
    }

    func importLeads(_ count: Int) throws {
        var csv = "email,first_name,tags\n"
        for index in 0..<count { csv += "lead\(index)@example.com,Lead,trial\n" }
        try project.write("leads.csv", csv)
        #expect(try NurtureBinary.run(["leads", "import", "leads.csv"], in: project.url).status == 0)
    }

    /// The addresses the scripted server was given in RCPT TO, in order.
    func recipients(_ server: SMTPTestServer) -> [String] {
        server.log().filter { $0.hasPrefix("RCPT ") }.map { String($0.dropFirst(5)) }
    }

    @Test func nobodyUnsubscribedDuringATickIsMailedAfterward() async throws {
        try project.write("nurture.yml", "smtp: { rate_per_second: 4, max_connections: 1 }\n")
        try importLeads(20)
        let server = try SMTPTestServer([], kind: .scripted)
        let tick = try NurtureBinary.start(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: ["NURTURE_SMTP_URL": server.url])
        // Leads go in import order, four a second: unsubscribe the last ten, last first, while the first go.
        let deadline = Date().addingTimeInterval(20)
        while recipients(server).isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        for index in (10..<20).reversed() {
            let done = try NurtureBinary.run(["unsubscribe", "lead\(index)@example.com"], in: project.url)
            #expect(done.status == 0, "\(done.stderr)")
        }
        let mailedWhenTheLastAnswered = Set(recipients(server))
        let result = try tick.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let late = Set(recipients(server)).subtracting(mailedWhenTheLastAnswered)
        #expect(late.allSatisfy { Int($0.dropFirst(4).prefix { $0.isNumber })! < 10 }, "mailed after unsubscribing: \(late.sorted())")
        #expect(mailedWhenTheLastAnswered.count < 10, "the unsubscribes should land mid-tick (\(mailedWhenTheLastAnswered.count) sent)")
    }

    @Test func killedTickLeavesInDoubtOnlyWhatWasOnTheWire() async throws {
        try project.write("nurture.yml", "smtp: { rate_per_second: 20, max_connections: 2 }\n")
        try importLeads(120)
        let server = try SMTPTestServer([], kind: .scripted)
        let environment = ["NURTURE_SMTP_URL": server.url]
        let doomed = try NurtureBinary.start(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        let deadline = Date().addingTimeInterval(20)
        while recipients(server).count < 20, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        doomed.kill()
        _ = try doomed.wait()

        let next = try NurtureBinary.run(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        let unknown = next.stdout.range(of: #"unknown (\d+)"#, options: .regularExpression).flatMap { Int(next.stdout[$0].dropFirst(8)) } ?? 0
        #expect(unknown <= 2, "at most one message per connection can be in doubt: \(next.stdout)")
        let mailed = recipients(server)
        #expect(Set(mailed).count == mailed.count, "no lead mailed twice")
        // A message in doubt may have been killed before its RCPT TO.
        #expect(mailed.count >= 120 - unknown && mailed.count <= 120, "every lead mailed once, but those in doubt: \(mailed.count)")
    }
}
