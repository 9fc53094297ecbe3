import Testing

@testable import NurtureMIME

/// Header folding works on bytes for ASCII lines (nearly every header) and character by
/// character otherwise; on ASCII lines the two must agree exactly, the character fold
/// being the one the byte fold replaced there.
@Suite struct HeaderFoldReferenceTests {
    static let words = [
        "a", "word", " ", "  ", "=?UTF-8?B?w6Rw?=", "<https://t.example/u/abc.def>", String(repeating: "x", count: 90),
        "List", "=?", "?=",
    ]

    @Test func agreesWithTheReferenceFold() {
        var random = MIMEPropertyTests.Generator(state: 0xF01D_F01D)
        for _ in 0..<2_000 {
            let count = Int(random.next() % 40)
            let value = (0..<count).map { _ in Self.words[Int(random.next() % UInt64(Self.words.count))] }.joined(
                separator: random.next() % 3 == 0 ? "" : " ")
            for name in ["Subject", "List-Unsubscribe", "To"] {
                let line = "\(name): \(value)"
                let reference = line.utf8.count > 78 ? Header.foldCharacters(line) : line
                #expect(Header.fold(name: name, value: value) == reference, "\(line)")
            }
        }
    }
}
