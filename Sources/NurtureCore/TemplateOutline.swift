import Foundation

/// What a Mustache template uses, found by scanning its tags: the variables it always
/// renders (outside any section, so a lead lacking them gets a blank) and the
/// partials it includes.
///
/// Variables inside `{{#x}}…{{/x}}` are conditional by design and are not reported
/// as missing. A template that changes delimiters (`{{=<% %>=}}`) is not scanned.
public struct TemplateOutline: Sendable, Hashable {
    public struct Tag: Sendable, Hashable {
        public var name: String
        public var line: Int
        public var column: Int
    }

    /// Variables rendered unconditionally, by their first name component (`a` for `a.b`).
    public var variables: [Tag] = []
    /// Partials included anywhere, with whether they are included unconditionally.
    public var partials: [(tag: Tag, unconditional: Bool)] = []
    /// True when the template changes delimiters: its variables after that are not read
    /// (its partials are).
    public var isOpaque = false

    public static func == (lhs: TemplateOutline, rhs: TemplateOutline) -> Bool {
        lhs.variables == rhs.variables && lhs.partials.map(\.tag) == rhs.partials.map(\.tag)
            && lhs.partials.map(\.unconditional) == rhs.partials.map(\.unconditional) && lhs.isOpaque == rhs.isOpaque
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(variables)
        hasher.combine(partials.map(\.tag))
    }

    public init(scanning source: String) {
        let bytes = Array(source.utf8)
        var index = 0
        var line = 1
        var lineStart = 0
        var depth = 0
        // `{{=<% %>=}}` changes the delimiters; after it, only partials are still read
        // (with the new delimiters), so that a partial cycle cannot hide behind them.
        var open = Array("{{".utf8)
        var close = Array("}}".utf8)
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                index += 1
                continue
            }
            guard index + open.count <= bytes.count, Array(bytes[index..<index + open.count]) == open else {
                index += 1
                continue
            }
            let tagLine = line
            let tagColumn = String(decoding: bytes[lineStart..<index], as: UTF8.self).count + 1
            let triple = !isOpaque && index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "{")
            let contentStart = index + (triple ? 3 : open.count)
            guard let end = Self.find(close, in: bytes, from: contentStart) else { return }
            var content = String(decoding: bytes[contentStart..<end], as: UTF8.self)
            // Tags may span lines (comments do); keep line counting right.
            for byte in bytes[index..<end] where byte == UInt8(ascii: "\n") {
                line += 1
            }
            if let lastNewline = bytes[index..<end].lastIndex(of: UInt8(ascii: "\n")) { lineStart = lastNewline + 1 }
            index = end + (triple && end + 2 < bytes.count && bytes[end + 2] == UInt8(ascii: "}") ? 3 : close.count)

            let sigil = triple ? "&" : content.first.map(String.init) ?? ""
            if !triple, "#^/>!=%<$&".contains(sigil) { content.removeFirst() }
            let name = content.trimmingCharacters(in: .whitespaces)
            let tag = Tag(
                name: String(name.split(separator: ".").first ?? Substring(name)), line: tagLine, column: tagColumn)
            switch sigil {
            case "#", "^", "<", "$": depth += 1
            case "/": depth = max(0, depth - 1)
            case ">": partials.append((Tag(name: name, line: tagLine, column: tagColumn), depth == 0))
            case "=":
                // "<% %>=": the new opening and closing delimiters.
                let parts = name.dropLast(name.hasSuffix("=") ? 1 : 0).split(
                    separator: " ", omittingEmptySubsequences: true)
                guard parts.count == 2 else { return }
                isOpaque = true
                (open, close) = (Array(parts[0].utf8), Array(parts[1].utf8))
            case "!", "%": break
            default:
                if depth == 0, !isOpaque, !name.isEmpty, name != "." { variables.append(tag) }
            }
        }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
