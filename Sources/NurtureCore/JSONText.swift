import Foundation

/// Writes flat JSON objects of strings (lead attributes) without a general encoder:
/// the import path writes one per row, and this is its hot loop.
package enum JSONText {
    package static func object(_ values: [String: String]) -> String {
        guard !values.isEmpty else { return "{}" }
        // Written as bytes straight into the text's storage, measured first: appending
        // piece by piece grew the text several times over, for every row of an import.
        let pairs = values.count == 1 ? Array(values) : values.sorted { $0.key < $1.key }
        // Braces, commas and colons, then each key and value quoted.
        var length = 2 * pairs.count + 1
        for (key, value) in pairs { length += quotedLength(key) + quotedLength(value) }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var out = Writer(buffer: buffer)
            out.put(UInt8(ascii: "{"))
            for (index, pair) in pairs.enumerated() {
                if index > 0 { out.put(UInt8(ascii: ",")) }
                writeQuoted(pair.key, to: &out)
                out.put(UInt8(ascii: ":"))
                writeQuoted(pair.value, to: &out)
            }
            out.put(UInt8(ascii: "}"))
            return out.end
        }
    }

    /// Bytes written one after the other into a buffer measured beforehand.
    private struct Writer {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var end = 0

        mutating func put(_ byte: UInt8) {
            buffer[end] = byte
            end += 1
        }
    }

    /// The bytes `writeQuoted` writes for `text`.
    private static func quotedLength(_ text: String) -> Int {
        var length = 2
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                length += 2
            case ..<0x20: length += 6
            default: length += 1
            }
        }
        return length
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `text` as a JSON string (RFC 8259 §7), byte by byte: the one place the escapes
    /// are written (every byte that is escaped is ASCII, so UTF-8 passes through whole).
    private static func writeQuoted(_ text: String, to out: inout Writer) {
        out.put(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.put(UInt8(ascii: "\\"))
                out.put(byte)
            case UInt8(ascii: "\n"):
                out.put(UInt8(ascii: "\\"))
                out.put(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                out.put(UInt8(ascii: "\\"))
                out.put(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"):
                out.put(UInt8(ascii: "\\"))
                out.put(UInt8(ascii: "t"))
            case ..<0x20:
                for escape in [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 0xF)],
                ] {
                    out.put(escape)
                }
            default: out.put(byte)
            }
        }
        out.put(UInt8(ascii: "\""))
    }

    /// A JSON array of strings (a list bound as one parameter, read with json_each).
    package static func array(_ values: [String]) -> String {
        var out = "["
        for (index, value) in values.enumerated() {
            if index > 0 { out += "," }
            appendString(value, to: &out)
        }
        return out + "]"
    }

    /// A flat JSON object's values as text (attributes as a store reads them back);
    /// empty for anything that is not an object.
    package static func textValues(ofObject text: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return [:]
        }
        return object.mapValues { ($0 as? String) ?? "\($0)" }
    }

    /// A JSON array of strings read back (tags kept as JSON); empty for anything else.
    package static func strings(ofArray text: String) -> [String] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] ?? []
    }

    /// A JSON array of integers (row ids bound as one parameter, read with json_each).
    package static func integers(_ values: [Int64]) -> String {
        "[" + values.map(String.init).joined(separator: ",") + "]"
    }

    /// A JSON path (`$."key"`) selecting one key, quoted so any key name is literal.
    package static func path(forKey key: String) -> String {
        var out = "$."
        appendString(key, to: &out)
        return out
    }

    /// RFC 8259 §7: quote, backslash and control characters must be escaped.
    package static func appendString(_ text: String, to out: inout String) {
        // Most values need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += "\""
            out += text
            out += "\""
        } else {
            out += quoted(text)
        }
    }

    /// `text` as a JSON string, quotes included, written at its exact length.
    private static func quoted(_ text: String) -> String {
        String(unsafeUninitializedCapacity: quotedLength(text)) { buffer in
            var out = Writer(buffer: buffer)
            writeQuoted(text, to: &out)
            return out.end
        }
    }
}
