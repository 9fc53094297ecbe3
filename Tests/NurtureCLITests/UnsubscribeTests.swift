import Foundation
import NurtureTestSupport
import Testing

/// The List-Unsubscribe link of a sent message, answered by `nurture serve`.
@Suite struct UnsubscribeTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-serve")
        try project.write("templates/a.txt.mustache", "Hello\n\nUnsubscribe: {{unsubscribe_url}}\n")
        try project.write("campaigns/c.yml", """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: One, template: a }
              - { id: two, wait: 1d, subject: Two, template: a }
            """)
    }

    /// Runs the curl command: (HTTP status, body).
    func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let output = project.url.appendingPathComponent("curl-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", output.path, "-w", "%{http_code}"] + arguments
        let status = Pipe()
        process.standardOutput = status
        try process.run()
        process.waitUntilExit()
        let code = Int(String(decoding: status.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        return (code, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    @Test func oneClickPostUnsubscribesAndGetDoesNot() async throws {
        let port = 20000 + Int.random(in: 0..<20000)
        let environment = ["NURTURE_BASE_URL": "http://127.0.0.1:\(port)"]
        #expect(try NurtureBinary.run(["leads", "add", "ann@example.com", "--tag", "t"], in: project.url).status == 0)
        let tick = try NurtureBinary.run(["run", "--once", "--now", "2030-01-07T10:00:00Z"], in: project.url, environment: environment)
        #expect(tick.stdout.contains("sent 1,"))
        let files = try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent("outbox").path)
        let message = try project.read("outbox/\(try #require(files.first))")
        let header = try #require(message.split(separator: "\r\n").first { $0.hasPrefix("List-Unsubscribe: <") })
        let url = String(header.dropFirst("List-Unsubscribe: <".count).prefix { $0 != ">" })
        #expect(url.hasPrefix("http://127.0.0.1:\(port)/u/"))
        #expect(message.replacingOccurrences(of: "=\r\n", with: "").contains("Unsubscribe: \(url)"), "the template link and the header are the same")

        let server = try NurtureBinary.start(["serve", "--port", "\(port)"], in: project.url)
        defer { server.kill() }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? curl(["http://127.0.0.1:\(port)/healthz"]).status) == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "serve did not come up")

        // GET shows a page and changes nothing.
        let page = try curl([url])
        #expect(page.status == 200)
        #expect(page.body.contains("Unsubscribe?"))
        #expect(page.body.contains("ann@example.com"))
        #expect(try NurtureBinary.run(["leads", "show", "ann@example.com"], in: project.url).stdout.contains("(active"))

        // A tampered token is a 404, not a redirect.
        let tampered = url.dropLast(3) + (url.hasSuffix("AAA") ? "BBB" : "AAA")
        let refused = try curl(["-X", "POST", "-d", "List-Unsubscribe=One-Click", String(tampered)])
        #expect(refused.status == 404)

        // RFC 8058: POST List-Unsubscribe=One-Click unsubscribes at once, without a redirect.
        let posted = try curl(["-X", "POST", "-d", "List-Unsubscribe=One-Click", url])
        #expect(posted.status == 200)
        #expect(posted.body.contains("You are unsubscribed"))
        #expect(try NurtureBinary.run(["leads", "show", "ann@example.com"], in: project.url).stdout.contains("(unsubscribed"))

        let next = try NurtureBinary.run(["run", "--once", "--now", "2030-01-09T10:00:00Z"], in: project.url, environment: environment)
        #expect(next.stdout.contains("sent 0,"))

        let metrics = try curl(["http://127.0.0.1:\(port)/metrics"])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("nurture_messages{state=\"sent\"} 1\n"))
        #expect(metrics.body.contains("nurture_leads{status=\"unsubscribed\"} 1\n"))
        #expect(metrics.body.contains("nurture_active_enrollments 0\n"))
        #expect(metrics.body.contains("# TYPE nurture_last_tick_duration_seconds gauge"))
    }
}
