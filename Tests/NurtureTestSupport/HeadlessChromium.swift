import Foundation

/// Debian's Chromium, headless: loads a page as a browser does (CSP, sandboxing, parsing)
/// and returns the DOM it ended up with.
public enum HeadlessChromium {
    public static let path = "/usr/bin/chromium"

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    public static func dumpDOM(_ url: String) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let output = profile.appendingPathExtension("html")
        defer { try? FileManager.default.removeItem(at: output) }
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        // --no-sandbox: the tests run as root, where Chromium's own sandbox cannot start.
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--user-data-dir=\(profile.path)",
            "--virtual-time-budget=3000", "--dump-dom", url,
        ]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return try String(contentsOf: output, encoding: .utf8)
    }
}
