import Foundation
import NurtureTestSupport
import Testing

/// Issue 41.4: a click that meets a store another process holds busy for longer than
/// any timeout waits for it and is recorded; it is never answered and then dropped.
/// Not serialized with the other suites: it spends most of its time waiting.
@Suite struct BusyStoreTrackingTests {
    @Test func aClickWaitsForABusyStoreAndIsRecorded() async throws {
        let project = try TemporaryDirectory("nurture-busy-click")
        try project.write(
            "templates/one.html.mustache",
            "<p>Hi {{first_name}}, <a href=\"https://acme.example/pricing\">see pricing</a></p>\n")
        try project.write(
            "campaigns/c.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: One, template: one }
            """)
        // Tracking's machine window is a setting: no wait for the click to count as a person's.
        try project.write("nurture.yml", "tracking: { machine_window: 0 }\n")
        #expect(
            try NurtureBinary.run(
                ["leads", "add", "ann@example.com", "--first-name", "Ann", "--tag", "t"], in: project.url
            ).status == 0)
        // The busy timeout is a setting: a 1 s one shows the same as the default 10 s in a
        // tenth of the time (a lock held past it, then retried until it is free).
        let server = try await ServeProcess(in: project.url, environment: ["NURTURE_BUSY_TIMEOUT": "1s"])
        defer { server.stop() }
        let environment = ["NURTURE_BASE_URL": server.baseURL]
        #expect(
            try NurtureBinary.run(["run", "--once"], in: project.url, environment: environment).stdout.contains(
                "sent 1,"))
        let outbox = project.url.appendingPathComponent("outbox")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox.path).first)
        let mail = try String(contentsOf: outbox.appendingPathComponent(file), encoding: .utf8)
            .replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        let prefix = "\(server.baseURL)/c/"
        // The first tracked link is the hidden decoy; the last is the person's.
        let click = try #require(
            mail.components(separatedBy: prefix).dropFirst().last.map {
                prefix + $0.prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
            })

        // Five times the store's busy timeout: serve meets "busy" several times over.
        let holder = try SQLiteLockHolder.hold(project.url.appendingPathComponent("nurture.sqlite").path, seconds: 5)
        let started = Date()
        let answer = try Curl.fetch([
            "-A", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "--max-time", "120", click,
        ])
        let waited = Date().timeIntervalSince(started)
        holder.waitUntilExit()
        #expect(answer.status == 302)
        #expect(waited > 4, "answered once recorded, after the lock: \(waited) s")
        let shown = try NurtureBinary.run(["leads", "show", "ann@example.com", "--format", "json"], in: project.url)
            .stdout
        let json = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any]
        let activity = (json?["activity"] as? [[String: Any]]) ?? []
        #expect(activity.contains { $0["kind"] as? String == "click" }, "the answered click is recorded: \(shown)")
    }
}
