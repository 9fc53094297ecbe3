import Foundation
import NurtureTestSupport
import Testing

/// Issue 41.1: a sender on PostgreSQL outlives a restart of its server, and a signal ends
/// it within seconds even while the store keeps it waiting. The built binary, a
/// PostgreSQL server of the test's own (restarted under it) and a real SMTP server.
@Suite(.serialized) struct PostgresRestartTests {
    /// Another session takes an exclusive lock on `messages` and keeps it two minutes
    /// (or until the server restarts): every tick's first look at messages waits on it.
    func lockMessages(_ postgres: PostgresTestServer, _ database: String) async throws -> Process {
        let locker = try postgres.startPSQL(
            database: database,
            script: """
                BEGIN;
                LOCK TABLE messages IN ACCESS EXCLUSIVE MODE;
                SELECT pg_sleep(120);
                """)
        // Taken well before the sender starts.
        try await Task.sleep(for: .seconds(1))
        return locker
    }

    /// How many messages the server accepted for each recipient.
    func accepted(_ server: SMTPTestServer) -> [String: Int] {
        server.log().filter { $0.hasPrefix("accepted ") }.reduce(into: [:]) {
            $0[String($1.dropFirst(9)), default: 0] += 1
        }
    }

    /// `pg_ctl restart -m immediate` while `run --every 1s` is sending 2,000 messages at
    /// eight connections, the probe's scenario: the sender goes on (the statements in
    /// flight fail and the next tick retries, or the pool reconnects under an idle
    /// moment), the ticks after it send the rest, no lead gets the step twice, each lead
    /// that got nothing is in doubt in `status`, and SIGTERM then ends the sender at once.
    @Test func aRestartMidTickIsRetriedAndTheTickResumes() async throws {
        let postgres = try PostgresTestServer.startPrivate()
        defer { postgres.stop() }
        let database = try postgres.newDatabase()
        let leads = 2_000
        let project = try WelcomeProject.make(
            "nurture-pg-restart", leads: leads, connections: 8, environment: ["NURTURE_DB": database])
        let smtp = try SMTPTestServer([], kind: .scripted)
        let environment = ["NURTURE_DB": database, "NURTURE_SMTP_URL": smtp.url]
        let sender = try NurtureBinary.start(["run", "--every", "1s"], in: project.url, environment: environment)

        let restartedAt = try await OwnThread.run { [self] in
            let deadline = Date().addingTimeInterval(60)
            while accepted(smtp).values.reduce(0, +) < 400, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            try postgres.restartImmediately()
            return accepted(smtp).values.reduce(0, +)
        }
        #expect(restartedAt < leads, "the restart should land mid-tick (\(restartedAt) delivered)")

        var status = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            try await Task.sleep(for: .seconds(1))
            guard let now = try? NurtureBinary.run(["status"], in: project.url, environment: environment),
                now.status == 0
            else { continue }
            status = now.stdout
            let unknown = Int(status.firstMatch(of: /unknown outcomes: (\d+)/)?.1 ?? "0") ?? 0
            if accepted(smtp).count + unknown >= leads, status.contains("due now: 0"),
                !status.contains("being sent right now")
            {
                break
            }
        }
        let (result, took) = try await OwnThread.run { try sender.terminate() }
        #expect(took < 10, "SIGTERM took \(took) s")
        #expect(result.status == 0, "\(result.stderr)")

        let byRecipient = accepted(smtp)
        #expect(byRecipient.values.allSatisfy { $0 == 1 }, "duplicates: \(byRecipient.filter { $0.value > 1 })")
        let notDelivered = (0..<leads).map { "lead\($0)@example.com" }.filter { byRecipient[$0] == nil }
        // Only what was with the wire when the store went away can be in doubt: at most
        // two groups of `admit_ahead` (4) per connection (8).
        #expect(notDelivered.count <= 2 * 4 * 8, "\(notDelivered.count) leads got nothing:\n\(status)")
        for email in notDelivered {
            #expect(status.contains(email), "\(email) got nothing and is not listed as in doubt:\n\(status)")
        }
        #expect(status.contains("due now: 0"), "\(status)")
    }

    /// A statement in flight when the server restarts (it waits on another session's
    /// lock, so the restart lands on it for sure): the sender says on stderr that it lost
    /// the store and when it tries again, and the next tick sends everything.
    @Test func aStatementLostInARestartIsSaidAndRetried() async throws {
        let postgres = try PostgresTestServer.startPrivate()
        defer { postgres.stop() }
        let database = try postgres.newDatabase()
        let project = try WelcomeProject.make(
            "nurture-pg-lost", leads: 20, connections: 2, environment: ["NURTURE_DB": database])
        let smtp = try SMTPTestServer([], kind: .scripted)
        let locker = try await lockMessages(postgres, database)
        defer { locker.terminate() }
        let environment = ["NURTURE_DB": database, "NURTURE_SMTP_URL": smtp.url]
        let sender = try NurtureBinary.start(["run", "--every", "1s"], in: project.url, environment: environment)
        try await Task.sleep(for: .seconds(2))
        #expect(smtp.acceptedCount() == 0, "the lock should hold the tick")
        // The restart ends the locking session too.
        try postgres.restartImmediately()
        let deadline = Date().addingTimeInterval(60)
        while smtp.acceptedCount() < 20, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        let result = try await OwnThread.run { try sender.terminate().result }
        #expect(smtp.acceptedCount() == 20, "\(result.stderr)\n\(result.stdout)")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stderr.contains("lost the connection to PostgreSQL at 127.0.0.1:\(postgres.port)"),
            "\(result.stderr)")
        #expect(result.stderr.contains("next try in 1s"), "\(result.stderr)")
        #expect(result.stderr.contains("the store answers again"), "\(result.stderr)")
    }

    /// Another session holds an exclusive lock on `messages`, so the tick waits on the
    /// store for as long as that lasts; SIGTERM still ends the sender within seconds,
    /// saying why, and exit 2.
    @Test func aSignalEndsASenderTheStoreKeepsWaiting() async throws {
        let postgres = try PostgresTestServer.startPrivate()
        defer { postgres.stop() }
        let database = try postgres.newDatabase()
        let project = try WelcomeProject.make(
            "nurture-pg-stuck", leads: 20, connections: 2, environment: ["NURTURE_DB": database])
        let smtp = try SMTPTestServer([], kind: .scripted)
        let locker = try await lockMessages(postgres, database)
        defer { locker.terminate() }
        let sender = try NurtureBinary.start(
            ["run", "--every", "1s"], in: project.url,
            environment: ["NURTURE_DB": database, "NURTURE_SMTP_URL": smtp.url])
        try await Task.sleep(for: .seconds(3))
        #expect(smtp.acceptedCount() == 0, "the lock should hold the tick")
        let (result, took) = try await OwnThread.run { try sender.terminate() }
        #expect(took < 15, "SIGTERM took \(took) s")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("leaving now"), "\(result.stderr)")
    }
}
