import Foundation

/// Output for people: results on stdout, problems on stderr.
enum Terminal {
    static func error(_ message: String) {
        writeError("error: \(message)\n")
    }

    static func warning(_ message: String) {
        writeError("warning: \(message)\n")
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
