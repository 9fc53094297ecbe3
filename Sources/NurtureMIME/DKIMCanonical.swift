import Foundation

/// DKIM's "relaxed" canonicalization (RFC 6376 §3.4.2 and §3.4.4), of a message as this
/// package writes it: CRLF line ends, headers first, a blank line, the body.
public enum DKIMCanonical {
    /// One header field, as written (name, colon, value, folds and all; no final CRLF).
    public struct Field: Sendable, Hashable {
        public var name: String
        /// Everything after the colon, folds included.
        public var rawValue: String
    }

    /// The message's header fields, in order, and its body: split at the first empty line.
    public static func split(_ message: String) -> (fields: [Field], body: Substring) {
        var headerEnd = message.endIndex
        var bodyStart = message.endIndex
        if let range = message.range(of: "\r\n\r\n") {
            headerEnd = range.lowerBound
            bodyStart = range.upperBound
        }
        var fields: [Field] = []
        for line in message[..<headerEnd].components(separatedBy: "\r\n") {
            if let first = line.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1].rawValue += "\r\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append(Field(name: String(line[..<colon]), rawValue: String(line[line.index(after: colon)...])))
            }
        }
        return (fields, message[bodyStart...])
    }

    /// `name:value` relaxed: the name in lower case, the value unfolded, each run of
    /// spaces and tabs one space, none at either end (no CRLF).
    public static func relaxedHeader(name: String, rawValue: String) -> String {
        name.lowercased().trimmingSpaces() + ":" + collapsed(rawValue.replacingOccurrences(of: "\r\n", with: "")).trimmingSpaces()
    }

    /// The body relaxed: spaces and tabs collapsed within lines and dropped at their
    /// ends, empty lines at the end dropped, and a non-empty body ending in one CRLF.
    public static func relaxedBody(_ body: Substring) -> String {
        var lines = body.components(separatedBy: "\r\n").map { collapsed($0).trimmingTrailingSpaces() }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        return lines.isEmpty ? "" : lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Each run of spaces and tabs as one space.
    static func collapsed(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var inSpace = false
        for character in text {
            if character == " " || character == "\t" {
                if !inSpace { out.append(" ") }
                inSpace = true
            } else {
                out.append(character)
                inSpace = false
            }
        }
        return out
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return String(self[start...end])
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        guard let end = lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(self[...end])
    }
}

extension Substring {
    fileprivate func components(separatedBy separator: String) -> [String] {
        String(self).components(separatedBy: separator)
    }
}
