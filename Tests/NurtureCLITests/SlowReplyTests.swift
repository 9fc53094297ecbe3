import Foundation
import NurtureTestSupport
import Testing

/// Issue 41.2: a server slow to answer one connection's final dots holds up only that
/// connection; the others go on at full speed meanwhile.
@Suite struct SlowReplyTests {
    @Test func oneSlowDotReplyHoldsOnlyItsOwnConnection() throws {
        let project = try WelcomeProject.make("nurture-slow-dot", leads: 60, connections: 4)
        let server = try SMTPTestServer(["--first-session-dot-delay-ms", "1000"], kind: .scripted)
        let tick = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url,
            environment: ["NURTURE_SMTP_URL": server.url])
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
