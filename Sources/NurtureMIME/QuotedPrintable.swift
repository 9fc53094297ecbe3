/// RFC 2045 §6.7 quoted-printable, for UTF-8 text bodies. Works on bytes in one pass:
/// it runs once per message, so it sits on the send loop's hot path.
public enum QuotedPrintable {
    /// Encodes `text` with CRLF line ends; no encoded line is longer than 76 characters
    /// (soft breaks `=` included), and a line never ends in a space or tab.
    public static func encode(_ text: String) -> String {
        var copy = text
        return copy.withUTF8 { String(decoding: encode(bytes: $0), as: UTF8.self) }
    }

    public static func encode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: encodedCapacity(input.count)) { out, written in
            written = encode(input, into: out.baseAddress!)
        }
    }

    /// At least the length of any encoding of `count` bytes: every byte can become three,
    /// plus a soft break ("=" CRLF) per 25 escaped bytes.
    public static func encodedCapacity(_ count: Int) -> Int { 3 * count + count / 8 + 16 }

    /// Writes the encoding of `input` at `out` (room for `encodedCapacity(input.count)`
    /// bytes) and returns its length. One loop over the bytes, line ends found on the way:
    /// about 12 KB of every message of a tick pass here.
    public static func encode(_ input: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        guard let bytes = input.baseAddress else { return 0 }
        let count = input.count
        var at = 0
        var column = 0
        var index = 0
        while index < count {
            // Eight ordinary bytes at once (printable or space, no "=", the line's start
            // and end not among them, room left on the line): written as they are, which
            // is what the byte loop below would write. Most of a prose body goes this way.
            if column <= 67, index + 8 < count {
                let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)
                let after = bytes[index + 8]
                if Word.isPlain(word), after != cr, after != lf, column > 0 || bytes[index] != dot {
                    UnsafeMutableRawPointer(out + at).storeBytes(of: word, as: UInt64.self)
                    at += 8
                    column += 8
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            if byte == cr || byte == lf {
                // Every line end (CRLF, CR or LF) is written CRLF.
                out[at] = cr
                out[at + 1] = lf
                at += 2
                column = 0
                index += byte == cr && index + 1 < count && bytes[index + 1] == lf ? 2 : 1
                continue
            }
            let next = index + 1
            // Nearly every byte: printable, not "=", not a dot opening a line, with room
            // left on the line whether or not it is the line's last: written as it is.
            if byte >= 33 && byte <= 126 && byte != equals && column < 75 && (byte != dot || column > 0) {
                out[at] = byte
                at += 1
                column += 1
                index = next
                continue
            }
            let isLast = next == count || bytes[next] == cr || bytes[next] == lf
            // A space or tab is literal except at a line's end; a leading dot is encoded
            // too, so no line can read as SMTP's end-of-data.
            var escaped: Bool
            if byte >= 33 && byte <= 126 {
                escaped = byte == equals || (column == 0 && byte == dot)
            } else {
                escaped = !(byte == space || byte == tab) || isLast
            }
            var width = escaped ? 3 : 1
            // Leave room for the soft break "=" unless this is the line's last character.
            if column + width > (isLast ? 76 : 75) {
                out[at] = equals
                out[at + 1] = cr
                out[at + 2] = lf
                at += 3
                column = 0
                if byte == dot { (escaped, width) = (true, 3) }  // now at the start of a line
            }
            if escaped {
                out[at] = equals
                out[at + 1] = hexDigit(byte >> 4)
                out[at + 2] = hexDigit(byte & 0x0F)
                at += 3
            } else {
                out[at] = byte
                at += 1
            }
            column += width
            index = next
        }
        return at
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x37 + nibble }

    /// The length of the text with CRLF line ends and how many of its bytes
    /// quoted-printable must escape (8-bit bytes and "="), without building either.
    public static func measure(_ input: UnsafeBufferPointer<UInt8>) -> (normalizedCount: Int, escapes: Int) {
        guard let bytes = input.baseAddress else { return (0, 0) }
        let count = input.count
        var normalized = count
        var escapes = 0
        var index = 0
        while index < count {
            // Eight bytes at once when none is 8-bit, "=" or a line end: nothing to count.
            if index + 8 <= count, Word.isUncounted(UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let byte = bytes[index]
            if byte >= 0x80 || byte == equals {
                escapes += 1
            } else if byte == cr {
                // CRLF stays two bytes; a lone CR becomes two.
                if index + 1 < count && bytes[index + 1] == lf { index += 1 } else { normalized += 1 }
            } else if byte == lf {
                normalized += 1
            }
            index += 1
        }
        return (normalized, escapes)
    }

    /// The text with every line end (CRLF, CR or LF) made CRLF (RFC 5322 §2.3).
    public static func normalizeLineEnds(_ text: String) -> [UInt8] {
        var copy = text
        return copy.withUTF8 { input in
            var out: [UInt8] = []
            out.reserveCapacity(input.count + input.count / 32)
            forEachLine(input) { line, isLastLine in
                out.append(contentsOf: line)
                if !isLastLine { out.append(contentsOf: [cr, lf]) }
            }
            return out
        }
    }

    /// Calls `body` with each line (without its end) and whether it is the last one.
    static func forEachLine(
        _ input: UnsafeBufferPointer<UInt8>, _ body: (Slice<UnsafeBufferPointer<UInt8>>, Bool) -> Void
    ) {
        var start = 0
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == cr || byte == lf {
                body(input[start..<index], false)
                index += byte == cr && index + 1 < input.count && input[index + 1] == lf ? 2 : 1
                start = index
            } else {
                index += 1
            }
        }
        body(input[start..<input.count], true)
    }

    /// Tests on eight bytes at once, in one 64-bit word (SWAR: "any byte zero" and "any
    /// byte below n" from the bit-twiddling classics, exact for whether any byte matches).
    enum Word {
        static let ones: UInt64 = 0x0101_0101_0101_0101
        static let highBits: UInt64 = 0x8080_8080_8080_8080

        static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
            let match = word ^ (ones &* UInt64(byte))
            return (match &- ones) & ~match & highBits != 0
        }

        /// Every byte printable ASCII or a space, and none "=": literal mid-line.
        static func isPlain(_ word: UInt64) -> Bool {
            // ASCII first: "below 0x20" is exact only for bytes under 0x80.
            word & highBits == 0 && (word &- ones &* 0x20) & ~word & highBits == 0
                && !hasByte(word, 0x3D) && !hasByte(word, 0x7F)
        }

        /// No 8-bit byte, "=", CR or LF: nothing `measure` counts.
        static func isUncounted(_ word: UInt64) -> Bool {
            word & highBits == 0 && !hasByte(word, 0x3D) && !hasByte(word, 0x0D) && !hasByte(word, 0x0A)
        }
    }

    private static let equals = UInt8(ascii: "="), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let dot = UInt8(ascii: "."), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
}
