/// Small text helpers for reading received mail, on UTF-8 directly: Foundation's
/// `trimmingCharacters` and `replacingOccurrences` bridge through NSString and took a
/// quarter of `nurture inbound`'s time on 10,000 reports (scripts/bench-inbound.sh).
enum MailText {
    /// Without its leading and trailing spaces and tabs.
    static func trimmed<S: StringProtocol>(_ text: S) -> String {
        var bytes = Substring(text).utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// With CRLF line ends as LF (every carriage return dropped: a bare one in mail is
    /// not a line end anyway).
    static func unixLines(_ text: String) -> String {
        text.utf8.contains(0x0D) ? String(decoding: text.utf8.filter { $0 != 0x0D }, as: UTF8.self) : text
    }
}
