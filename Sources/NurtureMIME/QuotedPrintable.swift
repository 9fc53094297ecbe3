/// RFC 2045 §6.7 quoted-printable, for UTF-8 text bodies.
public enum QuotedPrintable {
    /// Encodes `text` with CRLF line ends; no encoded line is longer than 76 characters
    /// (soft breaks `=` included), and a line never ends in a space or tab.
    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        let lines = normalizedLines(text)
        for (index, line) in lines.enumerated() {
            var column = 0
            let bytes = Array(line.utf8)
            for (position, byte) in bytes.enumerated() {
                let isLast = position == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
                // A leading dot is encoded too, so no line can read as SMTP's end-of-data.
                let needsEscape = !literal || (column == 0 && byte == UInt8(ascii: "."))
                let width = needsEscape ? 3 : 1
                // Leave room for the soft break "=" unless this is the line's last character.
                if column + width > (isLast ? 76 : 75) {
                    out.append(contentsOf: [UInt8(ascii: "="), 0x0D, 0x0A])
                    column = 0
                }
                if needsEscape {
                    out.append(UInt8(ascii: "="))
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0x0F)])
                } else {
                    out.append(byte)
                }
                column += width
            }
            if index < lines.count - 1 { out.append(contentsOf: [0x0D, 0x0A]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// Splits on CRLF, CR or LF: bodies leave here with CRLF only (RFC 5322 §2.3).
    static func normalizedLines(_ text: String) -> [Substring] {
        text.replacing("\r\n", with: "\n").replacing("\r", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
    }
}
