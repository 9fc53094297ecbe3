import Foundation

/// Output for people: results on stdout, problems on stderr.
enum Terminal {
    /// An error line. Messages that already carry their own place and kind
    /// (`nurture.yml:3:8: error: …`) or argument-parser's "Error: " are not prefixed twice.
    static func error(_ message: String) {
        var text = message
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        let firstLine = text.prefix { $0 != "\n" }
        writeError(firstLine.contains(": error: ") ? "\(text)\n" : "error: \(text)\n")
    }

    static func warning(_ message: String) {
        writeError("warning: \(message)\n")
    }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(escapingControls(text).utf8))
    }

    /// Control characters from files and lead data (an escape sequence that would
    /// recolour or retitle the terminal, a carriage return that hides a line) are shown
    /// as `\u{1B}`; line breaks and tabs stay.
    static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isHarmfulControl) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isHarmfulControl(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func isHarmfulControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\n" && scalar != "\t" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
