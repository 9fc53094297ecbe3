import Foundation
import NurtureCore
import Testing

@Suite struct JSONTextTests {
    /// The object as the general, piece-by-piece writer builds it: keys sorted.
    func reference(_ values: [String: String]) -> String {
        var out = "{"
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            JSONText.appendString(key, to: &out)
            out += ":"
            JSONText.appendString(values[key]!, to: &out)
        }
        return out + "}"
    }

    static let samples: [[String: String]] = [
        [:],
        ["plan": "pro"],
        ["b": "2", "a": "1", "c": ""],
        ["quote": "say \"hi\"", "back\\slash": "C:\\path"],
        ["lines": "one\ntwo\r\nthree\tfour"],
        ["control": "\u{01}bell\u{1F}unit\u{7F}"],
        ["städt": "Zürich — 東京 🎉", "e\u{301}": "combining"],
    ]

    @Test(arguments: samples) func objectMatchesTheGeneralWriter(_ values: [String: String]) {
        #expect(JSONText.object(values) == reference(values))
    }

    @Test(arguments: samples) func objectReadsBackAsTheSameValues(_ values: [String: String]) throws {
        let text = JSONText.object(values)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(parsed == values)
        #expect(JSONText.textValues(ofObject: text) == values)
    }

    @Test func controlCharactersUseFourHexDigits() {
        #expect(JSONText.object(["k": "\u{01}\u{1F}"]) == #"{"k":"\u0001\u001f"}"#)
    }
}
