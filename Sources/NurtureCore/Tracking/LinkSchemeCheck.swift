/// Finds `href`s in an HTML template whose scheme runs code or smuggles content
/// (`javascript:`, `data:`, `vbscript:`): `validate` refuses them, with line and column.
enum LinkSchemeCheck {
    static func dangerousLinks(in source: String) -> [(line: Int, column: Int, url: String)] {
        var found: [(line: Int, column: Int, url: String)] = []
        let characters = Array(source)
        var index = 0
        var line = 1
        var lineStart = 0
        while index < characters.count {
            if characters[index] == "\n" {
                line += 1
                lineStart = index + 1
            }
            guard index + 4 <= characters.count, String(characters[index..<(index + 4)]).lowercased() == "href",
                index == 0 || !(characters[index - 1].isLetter || characters[index - 1] == "-")
            else { index += 1; continue }
            var cursor = index + 4
            while cursor < characters.count, characters[cursor] == " " || characters[cursor] == "\t" { cursor += 1 }
            guard cursor < characters.count, characters[cursor] == "=" else { index += 1; continue }
            cursor += 1
            while cursor < characters.count, characters[cursor] == " " || characters[cursor] == "\t" { cursor += 1 }
            var quote: Character?
            if cursor < characters.count, characters[cursor] == "\"" || characters[cursor] == "'" {
                quote = characters[cursor]
                cursor += 1
            }
            let start = cursor
            while cursor < characters.count, characters[cursor] != quote ?? " ", characters[cursor] != ">", characters[cursor] != "\n" { cursor += 1 }
            let value = HTMLEntities.decode(String(characters[start..<cursor]))
            if LinkRewriter.isDangerous(value) {
                found.append((line, start - lineStart + 1, String(value.prefix(40))))
            }
            index = cursor
        }
        return found
    }
}
