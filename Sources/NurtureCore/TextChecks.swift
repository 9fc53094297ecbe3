/// Small, fast string checks used on every imported row (Foundation's
/// `trimmingCharacters` and Unicode property lookups dominated the import profile).
enum TextChecks {
    /// Drops leading and trailing spaces and tabs.
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last, isBlank(first) || isBlank(last) else { return text }
        guard let start = utf8.firstIndex(where: { !isBlank($0) }) else { return "" }
        let end = utf8.lastIndex(where: { !isBlank($0) })!
        return String(text[start...end])
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// True when the text holds a C0 or C1 control character or DEL (CR and LF among
    /// them): such text must never reach a mail header.
    static func containsControlCharacter(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            // U+0080–U+009F are encoded as C2 80 … C2 9F.
            if previous == 0xC2, (0x80...0x9F).contains(byte) { return true }
            previous = byte
        }
        return false
    }
}
