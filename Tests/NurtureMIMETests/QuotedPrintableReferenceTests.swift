import NurtureMIME
import Testing

/// The quoted-printable encoder on the send path is a hand-tuned loop; this is the
/// straightforward line-by-line encoder it replaced, kept as the reference it must
/// agree with byte for byte (the same bytes on the wire for the same input).
@Suite struct QuotedPrintableReferenceTests {
    static func reference(_ input: [UInt8]) -> [UInt8] {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let equals = UInt8(ascii: "=")
        let hex = Array("0123456789ABCDEF".utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < input.count {
            if input[index] == cr || input[index] == lf {
                lines.append(input[start..<index])
                index += input[index] == cr && index + 1 < input.count && input[index + 1] == lf ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        lines.append(input[start...])
        var out: [UInt8] = []
        for (number, line) in lines.enumerated() {
            var column = 0
            for position in line.indices {
                let byte = line[position]
                let isLast = position == line.endIndex - 1
                let literal =
                    (byte >= 33 && byte <= 126 && byte != equals) || ((byte == 0x20 || byte == 0x09) && !isLast)
                var escaped = !literal || (column == 0 && byte == UInt8(ascii: "."))
                var width = escaped ? 3 : 1
                if column + width > (isLast ? 76 : 75) {
                    out += [equals, cr, lf]
                    column = 0
                    if byte == UInt8(ascii: ".") { (escaped, width) = (true, 3) }
                }
                out += escaped ? [equals, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]] : [byte]
                column += width
            }
            if number < lines.count - 1 { out += [cr, lf] }
        }
        return out
    }

    /// Pieces that meet the encoder's edges: line ends of every kind, a lone CR, dots,
    /// trailing spaces and tabs, "=", 8-bit bytes, and runs long enough to need soft breaks.
    static let pieces: [[UInt8]] = [
        Array("a".utf8), Array("Z".utf8), [0x20], [0x09], Array(".".utf8), Array("=".utf8), [0x0A], [0x0D],
        [0x0D, 0x0A],
        Array("ä".utf8), Array("✓".utf8), [0xFF], [0x00], [0x7F], Array(String(repeating: "x", count: 70).utf8),
        Array(String(repeating: "é", count: 30).utf8), Array("Dear Lead, here is ordinary prose ".utf8),
        Array("a=b c.d ".utf8),
        Array("        ".utf8), Array(String(repeating: "word ", count: 14).utf8),
    ]

    @Test func agreesWithTheReferenceEncoder() {
        var random = MIMEPropertyTests.Generator(state: 0x5DEE_CE66_D1CE_4E5B)
        for round in 0..<1_500 {
            let length = Int(random.next() % (round < 1_000 ? 40 : 200))
            let input = (0..<length).flatMap { _ in Self.pieces[Int(random.next() % UInt64(Self.pieces.count))] }
            let encoded = input.withUnsafeBufferPointer { QuotedPrintable.encode(bytes: $0) }
            #expect(encoded == Self.reference(input), "input \(input)")
            // measure sees the bytes as they are; normalizeLineEnds takes text, so compare
            // the two on inputs that are valid UTF-8.
            let measured = input.withUnsafeBufferPointer { QuotedPrintable.measure($0) }
            #expect(measured.escapes == input.count { $0 >= 0x80 || $0 == UInt8(ascii: "=") })
            if let text = String(validating: input, as: UTF8.self) {
                #expect(measured.normalizedCount == QuotedPrintable.normalizeLineEnds(text).count)
            }
        }
    }
}
