import Foundation
import NurtureTestSupport
import Testing

/// The List-Unsubscribe link of a sent message, answered by `nurture serve`.
@Suite struct UnsubscribeTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-serve")
        try project.write("templates/a.txt.mustache", "Hello\n\nUnsubscribe: {{unsubscribe_url}}\n")
        try project.write(
            "campaigns/c.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: One, template: a }
              - { id: two, wait: 1d, subject: Two, template: a }
            """)
    }

    func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let response = try Curl.fetch(arguments)
        return (response.status, response.body)
    }

    /// Issue 11.10: a NURTURE_SECRET other than the one the store's links were signed with
    /// is warned about; a rotation through NURTURE_SECRET_PREVIOUS is not, and ends it.
    @Test func changedSecretIsWarnedAboutAndRotationIsQuiet() throws {
        #expect(try NurtureBinary.run(["leads", "add", "ann@example.com", "--tag", "t"], in: project.url).status == 0)
        func tick(_ environment: [String: String]) throws -> NurtureBinary.Result {
            try NurtureBinary.run(
                ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        }
        let first = try tick([:])
        #expect(!first.stderr.contains("NURTURE_SECRET"), "a generated secret, stored")
        let changed = try tick(["NURTURE_SECRET": "a-new-secret"])
        #expect(
            changed.stderr.contains("warning: NURTURE_SECRET differs from the secret this store signed its links with"),
            "\(changed.stderr)")
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        sqlite.arguments = [
            project.url.appendingPathComponent("nurture.sqlite").path,
            "SELECT value FROM settings WHERE key = 'link_secret'",
        ]
        let pipe = Pipe()
        sqlite.standardOutput = pipe
        try sqlite.run()
        sqlite.waitUntilExit()
        let old = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(old.count == 64)
        let rotating = try tick(["NURTURE_SECRET": "a-new-secret", "NURTURE_SECRET_PREVIOUS": old])
        #expect(!rotating.stderr.contains("differs"), "\(rotating.stderr)")
        let rotated = try tick(["NURTURE_SECRET": "a-new-secret"])
        #expect(!rotated.stderr.contains("differs"), "the rotation is over: \(rotated.stderr)")
    }

    @Test func oneClickPostUnsubscribesAndGetDoesNot() async throws {
        let port = try freeLoopbackPort()
        let environment = ["NURTURE_BASE_URL": "http://127.0.0.1:\(port)"]
        #expect(try NurtureBinary.run(["leads", "add", "ann@example.com", "--tag", "t"], in: project.url).status == 0)
        let tick = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        #expect(tick.stdout.contains("sent 1,"))
        let files = try FileManager.default.contentsOfDirectory(
            atPath: project.url.appendingPathComponent("outbox").path)
        let message = try project.read("outbox/\(try #require(files.first))")
        let header = try #require(message.split(separator: "\r\n").first { $0.hasPrefix("List-Unsubscribe: <") })
        let url = String(header.dropFirst("List-Unsubscribe: <".count).prefix { $0 != ">" })
        #expect(url.hasPrefix("http://127.0.0.1:\(port)/u/"))
        #expect(
            message.replacingOccurrences(of: "=\r\n", with: "").contains("Unsubscribe: \(url)"),
            "the template link and the header are the same")

        let server = try await ServeProcess(in: project.url, port: port)
        defer { server.stop() }

        // GET shows a page and changes nothing.
        let page = try curl([url])
        #expect(page.status == 200)
        #expect(page.body.contains("Unsubscribe?"))
        #expect(page.body.contains("ann@example.com"))
        #expect(
            try NurtureBinary.run(["leads", "show", "ann@example.com"], in: project.url).stdout.contains("(active"))

        // A tampered token is a 404, not a redirect.
        let tampered = url.dropLast(3) + (url.hasSuffix("AAA") ? "BBB" : "AAA")
        let refused = try curl(["-X", "POST", "-d", "List-Unsubscribe=One-Click", String(tampered)])
        #expect(refused.status == 404)

        // RFC 8058: POST List-Unsubscribe=One-Click unsubscribes at once, without a redirect.
        let posted = try curl(["-X", "POST", "-d", "List-Unsubscribe=One-Click", url])
        #expect(posted.status == 200)
        #expect(posted.body.contains("You are unsubscribed"))
        #expect(
            try NurtureBinary.run(["leads", "show", "ann@example.com"], in: project.url).stdout.contains(
                "(unsubscribed"))

        let next = try NurtureBinary.run(
            ["run", "--once", "--now", "2030-01-09T10:00:00Z"], in: project.url, environment: environment)
        #expect(next.stdout.contains("sent 0,"))
        // HEAD changes nothing either way, and a second POST is harmless.
        #expect(try curl(["-I", url]).status == 200)
        #expect(
            try curl(["-X", "POST", "-F", "List-Unsubscribe=One-Click", url]).status == 200,
            "multipart bodies are fine too")

        let metrics = try curl(["http://127.0.0.1:\(port)/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("nurture_messages{state=\"sent\"} 1\n"))
        #expect(metrics.body.contains("nurture_leads{status=\"unsubscribed\"} 1\n"))
        #expect(metrics.body.contains("nurture_active_enrollments 0\n"))
        #expect(metrics.body.contains("# TYPE nurture_last_tick_duration_seconds gauge"))
        #expect(metrics.body.contains("nurture_unsubscribes_total 1\n"))
        let report = try NurtureBinary.run(["report", "--format", "json"], in: project.url)
        #expect(report.stdout.contains("\"unsubscribed\" : 1"), "credited to the step whose link it was")
    }
}
