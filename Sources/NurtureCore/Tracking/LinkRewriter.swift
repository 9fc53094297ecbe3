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
        var bodyOpenEnd: Int?
        HTMLTagScanner.forEachTag(in: bytes) { tag in
            if tag.name == "body" && bodyOpenEnd == nil { bodyOpenEnd = out.count + (tag.end - copied) }
            if tag.name == "a" || tag.name == "area", let value = HTMLTagScanner.hrefValue(bytes, in: tag.attributes) {
                let original = Self.linkTarget(bytes[value.range])
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
        }
        out.append(contentsOf: bytes[copied...])
        return insertTrackers(into: out, bodyOpenEnd: bodyOpenEnd, messageRow: messageRow)
    }

    /// The URL an `href` value leads to: character references decoded, surrounding
    /// whitespace trimmed. Nearly every value is plain printable ASCII with nothing to
    /// trim or decode, and is taken as it is.
    static func linkTarget(_ value: ArraySlice<UInt8>) -> String {
        let plain = value.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "&") }
        let text = value.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        return plain ? text : HTMLEntities.decode(text).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The decoy link goes first in the body (scanners follow every link; people cannot
    /// see or tab to this one); the pixel goes last, so it loads after the content.
    private func insertTrackers(into html: [UInt8], bodyOpenEnd: Int?, messageRow: Int64) -> String {
        let decoy =
            "<a href=\"\(links.decoyURL(messageRow: messageRow))\" style=\"display:none!important\" aria-hidden=\"true\" tabindex=\"-1\"></a>"
        let pixel =
            "<img src=\"\(links.openURL(messageRow: messageRow))\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;width:1px;height:1px;border:0\">"
        let decoyAt = bodyOpenEnd ?? 0
        // Before "</body", or at the end; never before the decoy (a "</body" inside the
        // head would otherwise put the pixel first).
        let pixelAt = Self.lastIndex(of: "</body", in: html).map { max($0, decoyAt) } ?? html.count
        var out: [UInt8] = []
        out.reserveCapacity(html.count + decoy.utf8.count + pixel.utf8.count)
        out.append(contentsOf: html[..<decoyAt])
        out.append(contentsOf: decoy.utf8)
        out.append(contentsOf: html[decoyAt..<pixelAt])
        out.append(contentsOf: pixel.utf8)
        out.append(contentsOf: html[pixelAt...])
        return String(decoding: out, as: UTF8.self)
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
                if byte != pattern[offset] {
                    matches = false
                    break
                }
            }
            if matches { return index }
            index -= 1
        }
        return nil
    }

    // MARK: Text

    /// The number of a text part's first link: the HTML part's count from 0.
    public static let firstTextLink = 1000

    /// Wraps bare http(s) URLs in plain text. Trailing punctuation stays outside the
    /// link ("see https://example.com." keeps its full stop), and so does a closing
    /// bracket that the URL did not open.
    public func rewriteText(_ text: String, messageRow: Int64) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 512)
        var copied = 0
        var index = 0
        var linkIndex = Self.firstTextLink  // text links are numbered apart from the HTML part's
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "h") || bytes[index] == UInt8(ascii: "H"),
                index == 0 || !HTMLTagScanner.isNameByte(bytes[index - 1]),
                let schemeLength = Self.webScheme(bytes, at: index)
            else {
                index += 1
                continue
            }
            var end = index + schemeLength
            while end < bytes.count, !HTMLTagScanner.isSpace(bytes[end]), !Self.endsTextURL(bytes[end]) { end += 1 }
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

    /// The length of the `https://` or `http://` (any case) at `index`, if one starts there.
    private static func webScheme(_ bytes: [UInt8], at index: Int) -> Int? {
        func matches(_ scheme: StaticString) -> Bool {
            let count = scheme.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            let pattern = scheme.utf8Start
            for offset in 0..<count {
                var byte = bytes[index + offset]
                if byte >= 0x41 && byte <= 0x5A { byte += 32 }
                if byte != pattern[offset] { return false }
            }
            return true
        }
        if matches("https://") { return 8 }
        if matches("http://") { return 7 }
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
