import Foundation
import NurtureTestSupport
import Testing

/// Issue 36.11: after `kill -9` mid-tick, only the messages that were on the wire are in
/// doubt (at most one per connection): the send journal tells the next tick which
/// admitted messages never reached the server (due again) and which it accepted (sent).
@Suite struct InDoubtAfterKillTests {
    @Test(arguments: [1, 4])
    func onlyMessagesOnTheWireAreInDoubt(connections: Int) async throws {
        let project = try WelcomeProject.make("nurture-in-doubt", leads: 200, connections: connections)
        // 50 ms per final dot: slow enough that the kill lands mid-tick, with messages
        // admitted ahead of every connection.
        let server = try SMTPTestServer(["--dot-delay-ms", "50"], kind: .scripted)
        let environment = ["NURTURE_SMTP_URL": server.url]
        @Sendable func accepted() -> [String] { server.log().filter { $0.hasPrefix("accepted") } }
        _ = try await OwnThread.run {
            let doomed = try NurtureBinary.start(
                ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
            let deadline = Date().addingTimeInterval(30)
            while accepted().count < 20, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            doomed.kill()
            return try doomed.wait()
        }
        let before = accepted().count
        #expect(before >= 20 && before < 200, "the kill should land mid-tick (\(before) accepted)")
        let next = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        #expect(next.status == 0, "\(next.stderr)")
        let status = try NurtureBinary.run(["status", "--now", "2030-01-07T10:00:00Z"], in: project.url).stdout
        let doubt =
            Int(status.components(separatedBy: "unknown outcomes: ").dropFirst().first?.prefix { $0.isNumber } ?? "")
            ?? 0
        #expect(doubt <= connections, "in doubt: \(doubt) at \(connections) connection(s): \(status)")
        // Nothing twice, nothing lost: every lead got the step once, or is in doubt (a
        // message in doubt may have arrived: the server took it as the sender died).
        let recipients = accepted()
        #expect(
            Set(recipients).count == recipients.count,
            "a second copy went out: \(recipients.count - Set(recipients).count)")
        #expect(
            recipients.count <= 200 && recipients.count + doubt >= 200,
            "\(recipients.count) accepted, \(doubt) in doubt")
        let journals =
            (try? FileManager.default.contentsOfDirectory(
                atPath: project.url.appendingPathComponent("nurture.sqlite.sends").path)) ?? []
        #expect(journals.isEmpty, "journals are removed once their outcomes are recorded: \(journals)")
    }
}
