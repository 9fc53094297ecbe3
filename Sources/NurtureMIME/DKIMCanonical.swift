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

    /// The message's header fields, in order, and its body's bytes: split at the first
    /// empty line.
    public static func split(_ message: String) -> (fields: [Field], body: ArraySlice<UInt8>) {
        let bytes = Array(message.utf8)
        var headerEnd = bytes.count
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 {
                headerEnd = index
                break
            }
            index += 1
        }
        var fields: [Field] = []
        for line in String(decoding: bytes[..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n") {
            if let first = line.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1].rawValue += "\r\n" + line
            } else if let colon = line.firstIndex(of: ":") {
                fields.append(Field(name: String(line[..<colon]), rawValue: String(line[line.index(after: colon)...])))
            }
        }
        return (fields, bytes[min(bytes.count, headerEnd + 4)...])
    }

    /// `name:value` relaxed: the name in lower case, the value unfolded, each run of
    /// spaces and tabs one space, none at either end (no CRLF).
    public static func relaxedHeader(name: String, rawValue: String) -> String {
        name.lowercased().trimmingSpaces() + ":"
            + collapsed(rawValue.replacingOccurrences(of: "\r\n", with: "")).trimmingSpaces()
    }

    /// The body relaxed: spaces and tabs collapsed within lines and dropped at their
    /// ends, empty lines at the end dropped, and a non-empty body ending in one CRLF.
    /// On bytes: a message's body is several kilobytes, and walking it as Characters
    /// cost more than its RSA signature (a profile of a signed tick).
    public static func relaxedBody(_ body: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var emptyLinesPending = 0
        var line: [UInt8] = []
        var index = body.startIndex
        func endLine() {
            while let last = line.last, last == 32 { line.removeLast() }
            if line.isEmpty {
                emptyLinesPending += 1
            } else {
                for _ in 0..<emptyLinesPending { out += [13, 10] }
                emptyLinesPending = 0
                out += line
                out += [13, 10]
            }
            line.removeAll(keepingCapacity: true)
        }
        var inSpace = false
        while index < body.endIndex {
            let byte = body[index]
            if byte == 13, index + 1 < body.endIndex, body[index + 1] == 10 {
                endLine()
                inSpace = false
                index += 2
                continue
            }
            if byte == 32 || byte == 9 {
                if !inSpace { line.append(32) }
                inSpace = true
            } else {
                line.append(byte)
                inSpace = false
            }
            index += 1
        }
        if !line.isEmpty { endLine() }
        return out
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

}
