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
    /// True when the template changes delimiters and was not scanned.
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
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") {
                line += 1
                lineStart = index + 1
                index += 1
                continue
            }
            guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "{") else {
                index += 1
                continue
            }
            let tagLine = line
            let tagColumn = String(decoding: bytes[lineStart..<index], as: UTF8.self).count + 1
            let triple = index + 2 < bytes.count && bytes[index + 2] == UInt8(ascii: "{")
            let contentStart = index + (triple ? 3 : 2)
            guard let close = Self.find("}}", in: bytes, from: contentStart) else { return }
            var content = String(decoding: bytes[contentStart..<close], as: UTF8.self)
            // Tags may span lines (comments do); keep line counting right.
            for byte in bytes[index..<close] where byte == UInt8(ascii: "\n") {
                line += 1
            }
            if let lastNewline = bytes[index..<close].lastIndex(of: UInt8(ascii: "\n")) { lineStart = lastNewline + 1 }
            index = close + (triple && close + 2 < bytes.count && bytes[close + 2] == UInt8(ascii: "}") ? 3 : 2)

            let sigil = triple ? "&" : content.first.map(String.init) ?? ""
            if !triple, "#^/>!=%<$&".contains(sigil) { content.removeFirst() }
            let name = content.trimmingCharacters(in: .whitespaces)
            let tag = Tag(name: String(name.split(separator: ".").first ?? Substring(name)), line: tagLine, column: tagColumn)
            switch sigil {
            case "#", "^", "<", "$": depth += 1
            case "/": depth = max(0, depth - 1)
            case ">": partials.append((Tag(name: name, line: tagLine, column: tagColumn), depth == 0))
            case "=":
                isOpaque = true
                return
            case "!", "%": break
            default:
                if depth == 0, !name.isEmpty, name != "." { variables.append(tag) }
            }
        }
    }

    private static func find(_ needle: String, in bytes: [UInt8], from start: Int) -> Int? {
        let needle = Array(needle.utf8)
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }
}
