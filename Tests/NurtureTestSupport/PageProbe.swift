import Foundation

/// A page as Chromium lays it out at a window width (Tests/Fixtures/page_probe.py, over
/// the DevTools pipe): whether it scrolls sideways, its DOM, and a full-page screenshot.
public struct PageProbe: Sendable {
    public var scrollWidth: Int
    public var clientWidth: Int
    public var title: String
    /// Elements that reach past the right edge (tag.class), at most five.
    public var widest: [String]
    public var html: String

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads `url` at `width` CSS pixels (as a phone below 600) and writes the screenshot
    /// to `screenshot` (and slices of 1,600 pixels beside it when the page is taller).
    public static func load(_ url: String, width: Int, screenshot: URL) throws -> PageProbe {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            Repository.root.appendingPathComponent("Tests/Fixtures/page_probe.py").path, url, String(width),
            screenshot.path,
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let facts = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            throw Failed(description: "page_probe.py failed (\(process.terminationStatus)): \(problem)")
        }
        return PageProbe(
            scrollWidth: facts["scrollWidth"] as? Int ?? -1, clientWidth: facts["clientWidth"] as? Int ?? -1,
            title: facts["title"] as? String ?? "",
            widest: facts["widest"] as? [String] ?? [], html: facts["html"] as? String ?? "")
    }

    /// Where screenshots are kept for a person to look at after the run: `.build/screenshots/`.
    public static func screenshotFolder() throws -> URL {
        let folder = Repository.root.appendingPathComponent(".build/screenshots")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// How many times `fragment` occurs in the DOM.
    public func count(_ fragment: String) -> Int { html.components(separatedBy: fragment).count - 1 }
}
