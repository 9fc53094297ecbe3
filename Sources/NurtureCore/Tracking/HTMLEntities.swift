/// Escapes text for HTML, and decodes the character references an `href` may carry once
/// a template escaped it (`&amp;`, `&quot;`, `&#39;`, `&#x2F;` …), so that the click token
/// holds the URL the reader would have followed.
public enum HTMLEntities {
    /// `& < > " '` as entities, character by character as swift-mustache does (a
    /// character that merely starts with `&`, one with a combining mark, stays): the
    /// pages and the templates' values escape alike.
    public static func append(escaping text: String, to out: inout String) {
        // Nearly every value has nothing to escape: copy it whole.
        guard needsEscaping(text) else {
            out += text
            return
        }
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
    }

    /// Whether `text` holds a byte that `append(escaping:to:)` may escape.
    public static func needsEscaping(_ text: String) -> Bool {
        text.utf8.contains { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        append(escaping: text, to: &out)
        return out
    }

    private static let named: [String: Character] = [
        "amp": "&", "quot": "\"", "apos": "'", "lt": "<", "gt": ">", "nbsp": "\u{00A0}",
    ]

    public static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            out += rest[..<ampersand]
            let afterAmpersand = rest.index(after: ampersand)
            if let semicolon = rest[afterAmpersand...].prefix(12).firstIndex(of: ";"),
                let character = character(for: rest[afterAmpersand..<semicolon])
            {
                out.append(character)
                rest = rest[rest.index(after: semicolon)...]
            } else {
                out.append("&")
                rest = rest[afterAmpersand...]
            }
        }
        out += rest
        return out
    }

    private static func character(for reference: Substring) -> Character? {
        if reference.hasPrefix("#x") || reference.hasPrefix("#X") {
            return UInt32(reference.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map(Character.init)
        }
        if reference.hasPrefix("#") {
            return UInt32(reference.dropFirst()).flatMap(Unicode.Scalar.init).map(Character.init)
        }
        return named[reference.lowercased()]
    }
}
