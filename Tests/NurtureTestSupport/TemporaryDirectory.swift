import Foundation

/// A fresh folder under the system's temporary directory, removed when dropped.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init(_ prefix: String = "nurture-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public var path: String { url.path }

    /// Writes `contents` to `relativePath`, creating folders on the way.
    @discardableResult
    public func write(_ relativePath: String, _ contents: String) throws -> URL {
        let file = url.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
        return file
    }

    public func read(_ relativePath: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(relativePath), encoding: .utf8)
    }
}

/// The repository's own folder, to use the shipped example campaign in tests.
public enum Repository {
    public static var root: URL {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }

    /// Copies the example `campaigns/` and `templates/` into `directory`.
    public static func copyExample(into directory: TemporaryDirectory) throws {
        for folder in ["campaigns", "templates"] {
            try FileManager.default.copyItem(
                at: root.appendingPathComponent(folder), to: directory.url.appendingPathComponent(folder))
        }
    }
}
