/// Decodes the character references an `href` may carry once a template escaped it
/// (`&amp;`, `&quot;`, `&#39;`, `&#x2F;` …), so that the click token holds the URL the
/// reader would have followed.
enum HTMLEntities {
    private static let named: [String: Character] = ["amp": "&", "quot": "\"", "apos": "'", "lt": "<", "gt": ">", "nbsp": "\u{00A0}"]

    static func decode(_ text: String) -> String {
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
