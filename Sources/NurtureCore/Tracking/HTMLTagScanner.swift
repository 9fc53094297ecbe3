/// One pass over the tags of an HTML document or template, on bytes: each tag's
/// lowercased name, its attribute bytes and where it ends; and where an `href` value
/// sits. Quoted attribute values may hold `>`. Shared by link rewriting (every message
/// of a tick) and `validate`'s link check.
enum HTMLTagScanner {
    struct Tag {
        /// Lowercased; empty for end tags, comments and declarations.
        var name: String
        var attributes: Range<Int>
        /// Just past the `>`.
        var end: Int
    }

    static func forEachTag(in bytes: [UInt8], _ body: (Tag) -> Void) {
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                index += 1
                continue
            }
            let nameEnd = tagNameEnd(bytes, from: index + 1)
            let end = tagEnd(bytes, from: nameEnd)
            body(Tag(name: lowercased(bytes[(index + 1)..<nameEnd]), attributes: nameEnd..<end, end: end))
            index = max(end, index + 1)
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_")
    }

    static func tagNameEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
        return end
    }

    /// Written straight into the string: a tag name fits a small string, so this
    /// allocates nothing (it runs for every tag of every message of a tick).
    static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count) { out in
            var offset = 0
            for index in bytes.indices {
                let byte = bytes[index]
                out[offset] = byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte
                offset += 1
            }
            return offset
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }

    /// The index just past the `>` that ends a tag, skipping quoted attribute values.
    static func tagEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        var quote: UInt8?
        while index < bytes.count {
            let byte = bytes[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index + 1
            }
            index += 1
        }
        return bytes.count
    }

    /// The byte range of the `href` attribute's value inside a tag, if it has one.
    static func hrefValue(_ bytes: [UInt8], in range: Range<Int>) -> (range: Range<Int>, quoted: Bool)? {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            while index < end, isSpace(bytes[index]) || bytes[index] == UInt8(ascii: "/") { index += 1 }
            let nameStart = index
            while index < end, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: "="),
                bytes[index] != UInt8(ascii: ">")
            { index += 1 }
            let name = lowercased(bytes[nameStart..<index])
            if index == nameStart { return nil }
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < end, isSpace(bytes[index]) { index += 1 }
            guard index < end else { return nil }
            let valueRange: Range<Int>
            let quoted: Bool
            if bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") {
                let quote = bytes[index]
                let start = index + 1
                var stop = start
                while stop < end, bytes[stop] != quote { stop += 1 }
                valueRange = start..<stop
                quoted = true
                index = stop + 1
            } else {
                let start = index
                while index < end, !isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
                valueRange = start..<index
                quoted = false
            }
            if name == "href" { return (valueRange, quoted) }
        }
        return nil
    }
}
