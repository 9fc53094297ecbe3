import Foundation

/// Rewrites the links of a rendered message so that they pass through `serve`: every
/// http(s) link becomes a signed click URL, the HTML part gets an open pixel and a
/// hidden decoy link. `mailto:`, `tel:`, anchors and links to `serve` itself are left
/// alone; `javascript:`, `data:` and `vbscript:` links (which only a template variable
/// could bring, since `validate` refuses them in templates) are neutralised to `#`.
///
/// Works on bytes in one pass: it runs for every message of a tick.
public struct LinkRewriter: Sendable {
    public let links: TrackingLinks

    public init(links: TrackingLinks) {
        self.links = links
    }

    /// Whether `url` is an absolute http or https URL.
    public static func isWebURL(_ url: String) -> Bool {
        let lower = url.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    /// Schemes a link must never carry: they run code or smuggle content.
    public static func isDangerous(_ url: String) -> Bool {
        let scheme = url.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }.prefix(11).lowercased()
            .filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        return scheme.hasPrefix("javascript:") || scheme.hasPrefix("data:") || scheme.hasPrefix("vbscript:")
    }

    public func rewrite(_ rendered: RenderedStep, messageRow: Int64) -> RenderedStep {
        var out = rendered
        out.html = rendered.html.map { rewriteHTML($0, messageRow: messageRow) }
        out.text = rendered.text.map { rewriteText($0, messageRow: messageRow) }
        return out
    }

    // MARK: HTML

    public func rewriteHTML(_ html: String, messageRow: Int64) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1024)
        var linkIndex = 0
        var copied = 0
        var index = 0
        var bodyOpenEnd: Int?
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            let nameEnd = Self.tagNameEnd(bytes, from: index + 1)
            let name = Self.lowercased(bytes[(index + 1)..<nameEnd])
            let tagEnd = Self.tagEnd(bytes, from: nameEnd)
            if name == "body" && bodyOpenEnd == nil { bodyOpenEnd = out.count + (tagEnd - copied) }
            if name == "a" || name == "area", let value = Self.hrefValue(bytes, in: nameEnd..<tagEnd) {
                let original = HTMLEntities.decode(String(decoding: bytes[value.range], as: UTF8.self))
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                var replacement: String?
                if Self.isDangerous(original) {
                    replacement = "#"
                } else if Self.isWebURL(original), !links.isOwn(original) {
                    replacement = links.clickURL(messageRow: messageRow, link: linkIndex, url: original)
                    linkIndex += 1
                }
                if let replacement {
                    out.append(contentsOf: bytes[copied..<value.range.lowerBound])
                    // Unquoted values get quotes; the new URL is base64url and never needs escaping.
                    if !value.quoted { out.append(UInt8(ascii: "\"")) }
                    out.append(contentsOf: replacement.utf8)
                    if !value.quoted { out.append(UInt8(ascii: "\"")) }
                    copied = value.range.upperBound
                }
            }
            index = max(tagEnd, index + 1)
        }
        out.append(contentsOf: bytes[copied...])
        return insertTrackers(into: out, bodyOpenEnd: bodyOpenEnd, messageRow: messageRow)
    }

    /// The decoy link goes first in the body (scanners follow every link; people cannot
    /// see or tab to this one); the pixel goes last, so it loads after the content.
    private func insertTrackers(into html: [UInt8], bodyOpenEnd: Int?, messageRow: Int64) -> String {
        let decoy = "<a href=\"\(links.decoyURL(messageRow: messageRow))\" style=\"display:none!important\" aria-hidden=\"true\" tabindex=\"-1\"></a>"
        let pixel = "<img src=\"\(links.openURL(messageRow: messageRow))\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\">"
        var out = html
        if let closing = Self.lastIndex(of: "</body", in: out) {
            out.insert(contentsOf: Array(pixel.utf8), at: closing)
        } else {
            out.append(contentsOf: pixel.utf8)
        }
        out.insert(contentsOf: Array(decoy.utf8), at: bodyOpenEnd ?? 0)
        return String(decoding: out, as: UTF8.self)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_")
    }

    private static func tagNameEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
        return end
    }

    private static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }, as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }

    /// The index just past the `>` that ends a tag, skipping quoted attribute values.
    private static func tagEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index + 1
            }
            index += 1
        }
        return bytes.count
    }

    /// The byte range of the `href` attribute's value inside a tag, if it has one.
    private static func hrefValue(_ bytes: [UInt8], in range: Range<Int>) -> (range: Range<Int>, quoted: Bool)? {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            while index < end, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1 }
            let nameStart = index
            while index < end, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ">") { index += 1 }
            let name = lowercased(bytes[nameStart..<index])
            if index == nameStart { return nil }
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end else { return nil }
            let valueRange: Range<Int>
            let quoted: Bool
            if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                let quote = bytes[index]
                let start = index + 1
                var stop = start
                while stop < end, bytes[stop] != quote { stop += 1 }
                valueRange = start..<stop
                quoted = true
                index = stop + 1
            } else {
                let start = index
                while index < end, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
                valueRange = start..<index
                quoted = false
            }
            if name == "href" { return (valueRange, quoted) }
        }
        return nil
    }

    private static func lastIndex(of needle: String, in bytes: [UInt8]) -> Int? {
        let pattern = Array(needle.utf8)
        guard bytes.count >= pattern.count else { return nil }
        var index = bytes.count - pattern.count
        while index >= 0 {
            var matches = true
            for offset in pattern.indices {
                var byte = bytes[index + offset]
                if byte >= 0x41 && byte <= 0x5A { byte += 32 }
                if byte != pattern[offset] { matches = false; break }
            }
            if matches { return index }
            index -= 1
        }
        return nil
    }

    // MARK: Text

    /// Wraps bare http(s) URLs in plain text. Trailing punctuation stays outside the
    /// link ("see https://example.com." keeps its full stop), and so does a closing
    /// bracket that the URL did not open.
    public func rewriteText(_ text: String, messageRow: Int64) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 512)
        var copied = 0
        var index = 0
        var linkIndex = 1000  // text links are numbered apart from the HTML part's
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "h") || bytes[index] == UInt8(ascii: "H"),
                index == 0 || !Self.isNameByte(bytes[index - 1]),
                let schemeLength = Self.webScheme(bytes, at: index)
            else { index += 1; continue }
            var end = index + schemeLength
            while end < bytes.count, !Self.isSpace(bytes[end]), !Self.endsTextURL(bytes[end]) { end += 1 }
            end = Self.trimTrailing(bytes, start: index, end: end)
            let url = String(decoding: bytes[index..<end], as: UTF8.self)
            if end > index + schemeLength, !links.isOwn(url) {
                out.append(contentsOf: bytes[copied..<index])
                out.append(contentsOf: links.clickURL(messageRow: messageRow, link: linkIndex, url: url).utf8)
                linkIndex += 1
                copied = end
            }
            index = max(end, index + 1)
        }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    private static func webScheme(_ bytes: [UInt8], at index: Int) -> Int? {
        for scheme in ["https://", "http://"] where index + scheme.utf8.count <= bytes.count {
            if lowercased(bytes[index..<(index + scheme.utf8.count)]) == scheme { return scheme.utf8.count }
        }
        return nil
    }

    private static func endsTextURL(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"") || byte < 0x20
    }

    private static func trimTrailing(_ bytes: [UInt8], start: Int, end: Int) -> Int {
        var end = end
        while end > start {
            let last = bytes[end - 1]
            if ".,;:!?'*".utf8.contains(last) {
                end -= 1
            } else if last == UInt8(ascii: ")") || last == UInt8(ascii: "]") {
                let open: UInt8 = last == UInt8(ascii: ")") ? UInt8(ascii: "(") : UInt8(ascii: "[")
                let opens = bytes[start..<end].count { $0 == open }
                let closes = bytes[start..<end].count { $0 == last }
                if closes > opens { end -= 1 } else { break }
            } else {
                break
            }
        }
        return end
    }
}
