@testable import NurtureMIME
import Testing

/// Header folding works on bytes for ASCII lines (nearly every header); this is the
/// character-by-character fold it replaced there, kept as the reference it must agree
/// with exactly.
@Suite struct HeaderFoldReferenceTests {
    static func reference(name: String, value: String) -> String {
        let line = "\(name): \(value)"
        guard line.utf8.count > 78 else { return line }
        var segments: [Substring] = []
        var start = line.startIndex
        var index = line.startIndex
        var previousWasSpace = false
        while index < line.endIndex {
            let isSpace = line[index] == " "
            if isSpace && !previousWasSpace && index != line.startIndex {
                segments.append(line[start..<index])
                start = index
            }
            previousWasSpace = isSpace
            index = line.index(after: index)
        }
        segments.append(line[start...])
        var lines: [String] = []
        var current = ""
        for (index, segment) in segments.enumerated() {
            let hasWord = segment.contains { $0 != " " }
            let mayBreak = index > 1 || segment.hasPrefix(" =?")
            if !current.isEmpty, hasWord, mayBreak, current.utf8.count + segment.utf8.count > 78 {
                lines.append(current)
                current = String(segment)
            } else {
                current += segment
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    static let words = ["a", "word", " ", "  ", "=?UTF-8?B?w6Rw?=", "<https://t.example/u/abc.def>", String(repeating: "x", count: 90), "List", "=?", "?="]

    @Test func agreesWithTheReferenceFold() {
        var random = MIMEPropertyTests.Generator(state: 0xF01D_F01D)
        for _ in 0..<2_000 {
            let count = Int(random.next() % 40)
            let value = (0..<count).map { _ in Self.words[Int(random.next() % UInt64(Self.words.count))] }.joined(separator: random.next() % 3 == 0 ? "" : " ")
            for name in ["Subject", "List-Unsubscribe", "To"] {
                #expect(Header.fold(name: name, value: value) == Self.reference(name: name, value: value), "\(name): \(value)")
            }
        }
    }
}
