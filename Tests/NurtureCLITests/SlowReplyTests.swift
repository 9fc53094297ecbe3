import Foundation
import NurtureTestSupport
import Testing

/// Issue 41.2: a server slow to answer one connection's final dots holds up only that
/// connection; the others go on at full speed meanwhile.
@Suite struct SlowReplyTests {
    @Test func oneSlowDotReplyHoldsOnlyItsOwnConnection() throws {
        let project = try TemporaryDirectory("nurture-slow-dot")
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write("campaigns/welcome.yml", """
            id: welcome
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: hello, subject: "Hello {{first_name}}", template: hello }
            """)
        try project.write("nurture.yml", "smtp: { timeout: 10, max_connections: 4 }\n")
        var csv = "email,first_name,tags\n"
        for index in 0..<60 { csv += "lead\(index)@example.com,Lead\(index),trial\n" }
        try project.write("leads.csv", csv)
        #expect(try NurtureBinary.run(["leads", "import", "leads.csv"], in: project.url).status == 0)
        let server = try SMTPTestServer(["--first-session-dot-delay-ms", "1000"], kind: .scripted)
        let tick = try NurtureBinary.run(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: ["NURTURE_SMTP_URL": server.url])
        #expect(tick.stdout.hasPrefix("sent 60,"), "\(tick.stdout)\(tick.stderr)")
        // While the first connection waits a second for its first dot's reply, the other
        // three deliver: with one thread for all connections, none could (at most the
        // three messages already on the wire arrived).
        let log = server.log()
        let waiting = try #require(log.firstIndex(of: "slow-dot"))
        let answered = try #require(log[waiting...].firstIndex(of: "slow-dot answered"))
        let meanwhile = log[waiting..<answered].filter { $0.hasPrefix("accepted") }.count
        #expect(meanwhile > 20, "\(meanwhile) messages delivered by the other connections during the slow reply")
        let accepted = log.filter { $0.hasPrefix("accepted") }
        #expect(Set(accepted).count == 60 && accepted.count == 60, "each lead once")
    }
}
