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
        // Every byte can become three, plus a soft break ("=" CRLF) per 72 of those.
        let capacity = 3 * input.count + input.count / 8 + 16
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, written in
            var at = 0
            func put(_ byte: UInt8) {
                out[at] = byte
                at += 1
            }
            forEachLine(input) { line, isLastLine in
                var column = 0
                let lastPosition = line.endIndex - 1
                for position in line.indices {
                    let byte = line[position]
                    let isLast = position == lastPosition
                    let literal = (byte >= 33 && byte <= 126 && byte != equals) || ((byte == space || byte == tab) && !isLast)
                    // A leading dot is encoded too, so no line can read as SMTP's end-of-data.
                    var escaped = !literal || (column == 0 && byte == dot)
                    var width = escaped ? 3 : 1
                    // Leave room for the soft break "=" unless this is the line's last character.
                    if column + width > (isLast ? 76 : 75) {
                        put(equals)
                        put(cr)
                        put(lf)
                        column = 0
                        if byte == dot { (escaped, width) = (true, 3) }  // now at the start of a line
                    }
                    if escaped {
                        put(equals)
                        put(hex[Int(byte >> 4)])
                        put(hex[Int(byte & 0x0F)])
                    } else {
                        put(byte)
                    }
                    column += width
                }
                if !isLastLine {
                    put(cr)
                    put(lf)
                }
            }
            written = at
        }
    }

    /// The length of the text with CRLF line ends and how many of its bytes
    /// quoted-printable must escape (8-bit bytes and "="), without building either.
    public static func measure(_ input: UnsafeBufferPointer<UInt8>) -> (normalizedCount: Int, escapes: Int) {
        var count = 0
        var escapes = 0
        forEachLine(input) { line, isLastLine in
            count += line.count + (isLastLine ? 0 : 2)
            for byte in line where byte >= 0x80 || byte == equals { escapes += 1 }
        }
        return (count, escapes)
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
    static func forEachLine(_ input: UnsafeBufferPointer<UInt8>, _ body: (Slice<UnsafeBufferPointer<UInt8>>, Bool) -> Void) {
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

    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let equals = UInt8(ascii: "="), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let dot = UInt8(ascii: "."), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
}
