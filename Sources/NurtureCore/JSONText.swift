import Foundation

/// Writes flat JSON objects of strings (lead attributes) without a general encoder:
/// the import path writes one per row, and this is its hot loop.
package enum JSONText {
    package static func object(_ values: [String: String]) -> String {
        guard !values.isEmpty else { return "{}" }
        var out = "{"
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(values[key]!, to: &out)
        }
        out += "}"
        return out
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
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
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
        out += "\""
        // Most values need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
