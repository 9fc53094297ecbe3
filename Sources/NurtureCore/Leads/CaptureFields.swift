import Foundation

/// `subscribe.fields` in nurture.yml: the form fields a capture keeps. Each becomes an
/// attribute of the lead (`timezone` its time zone), bounded like a CSV cell; every
/// other field the form sends is dropped.
public struct CaptureFields: Sendable, Hashable {
    public var names: [String]

    public init(_ names: [String] = []) {
        self.names = names
    }

    /// Fields the form reads for itself, which cannot also be attributes.
    public static let reserved: Set<String> = [
        "email", "name", "first_name", "last_name", "tags", "website", "utm_source", "utm_medium", "utm_campaign",
    ]

    /// Puts the kept fields' values (`value(name)`, nil or empty: not sent) into `input`.
    /// Returns what is wrong with a value, for the person filling in the form, or nil.
    /// A time zone this machine does not know is dropped rather than refused: a lead is
    /// worth more than its zone, and windows fall back to the default zone.
    public func apply(
        _ value: (String) -> String?, to input: inout LeadInput,
        isKnownTimeZone: (String) -> Bool = TimeZoneNames.isKnown
    ) -> String? {
        for name in names {
            guard let raw = value(name) else { continue }
            let text = Self.oneLine(raw)
            guard !text.isEmpty else { continue }
            // Bytes first: no more bytes than the limit is no more characters.
            guard text.utf8.count <= attributeValueLimit || text.count <= attributeValueLimit else {
                return "\(name) is longer than \(attributeValueLimit) characters"
            }
            if name == "timezone" {
                if isKnownTimeZone(text) { input.timeZone = text }
            } else {
                input.attributes[name] = text
            }
        }
        return nil
    }

    /// The value on one line, trimmed: control and format characters (line breaks,
    /// bidirectional overrides) are taken out. Names from the form are read the same way.
    public static func oneLine(_ text: String) -> String {
        String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { scalar in
                    switch scalar.properties.generalCategory {
                    case .control, .format, .lineSeparator, .paragraphSeparator: false
                    default: true
                    }
                })
        ).trimmingCharacters(in: .whitespaces)
    }
}
