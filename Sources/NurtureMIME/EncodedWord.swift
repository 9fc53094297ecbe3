/// RFC 2047 encoded-words, for non-ASCII display names and subjects.
public enum EncodedWord {
    /// `text` as one or more `=?UTF-8?B?…?=` words separated by spaces (where the header
    /// is folded); each word is at most 75 characters (§2) and holds whole UTF-8
    /// characters only (§5). Pure printable ASCII comes back as it is.
    public static func encodeIfNeeded(_ text: String) -> String {
        if !needsEncoding(text) { return text }
        return encode(text).joined(separator: " ")
    }

    /// Non-ASCII, something that looks like an encoded-word, or a word too long to fold
    /// (RFC 5322 §2.1.1: a line is at most 998 octets, and folding happens only at
    /// spaces, so a long word must travel as several encoded-words).
    public static func needsEncoding(_ text: String) -> Bool {
        // Bytes throughout: with Foundation in scope, `contains("=?")` is a CFString search.
        let bytes = text.utf8
        if !bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
            || zip(bytes, bytes.dropFirst()).contains(where: { $0 == UInt8(ascii: "=") && $1 == UInt8(ascii: "?") })
        {
            return true
        }
        var run = 0
        for byte in text.utf8 {
            run = byte == 0x20 ? 0 : run + 1
            if run > longestFoldableWord { return true }
        }
        return false
    }

    /// Longer words are encoded, so that a folded header line stays near 78 characters.
    static let longestFoldableWord = 70

    /// The encoded words of `text`.
    public static func encode(_ text: String) -> [String] {
        // "=?UTF-8?B?" + "?=" is 12 characters, leaving 63 for base64: 45 bytes of UTF-8.
        let maxBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > maxBytes {
                words.append(word(chunk))
                chunk.removeAll()
            }
            // A single grapheme longer than a word (a long emoji sequence) is split by scalars.
            if bytes.count > maxBytes {
                for scalar in String(character).unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if chunk.count + scalarBytes.count > maxBytes {
                        words.append(word(chunk))
                        chunk.removeAll()
                    }
                    chunk.append(contentsOf: scalarBytes)
                }
            } else {
                chunk.append(contentsOf: bytes)
            }
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words
    }

    private static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?\(Base64.encode(bytes))?=" }
}

/// Base64 without Foundation's line breaking, for encoded-words and bodies.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((value >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let value = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            out.append(rest == 2 ? alphabet[Int((value >> 6) & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base64 in lines of 76 characters with CRLF, for a MIME body (RFC 2045 §6.8).
    public static func encodeBody(_ bytes: [UInt8]) -> String {
        let encoded = Array(encode(bytes).utf8)
        var lines: [String] = []
        var start = 0
        while start < encoded.count {
            let end = min(encoded.count, start + 76)
            lines.append(String(decoding: encoded[start..<end], as: UTF8.self))
            start = end
        }
        return lines.joined(separator: "\r\n")
    }
}
