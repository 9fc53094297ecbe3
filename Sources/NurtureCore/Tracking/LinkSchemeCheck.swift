/// Finds `href`s in an HTML template whose scheme runs code or smuggles content
/// (`javascript:`, `data:`, `vbscript:`): `validate` refuses them, with line and column.
enum LinkSchemeCheck {
    static func dangerousLinks(in source: String) -> [(line: Int, column: Int, url: String)] {
        let bytes = Array(source.utf8)
        var found: [(line: Int, column: Int, url: String)] = []
        HTMLTagScanner.forEachTag(in: bytes) { tag in
            guard let value = HTMLTagScanner.hrefValue(bytes, in: tag.attributes) else { return }
            let url = HTMLEntities.decode(String(decoding: bytes[value.range], as: UTF8.self))
            guard LinkRewriter.isDangerous(url) else { return }
            let before = bytes[..<value.range.lowerBound]
            let lineStart = (before.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
            let column = String(decoding: bytes[lineStart..<value.range.lowerBound], as: UTF8.self).count + 1
            found.append((before.count { $0 == UInt8(ascii: "\n") } + 1, column, String(url.prefix(40))))
        }
        return found
    }
}
