import Foundation

/// Turns CSV records into `LeadInput`s, by the header row's column names.
///
/// `email`, `first_name`, `last_name`, `timezone` and `tags` are the lead's own fields
/// (headers are matched case-insensitively, with spaces and hyphens read as `_`, so a
/// "First Name" column from another tool works); `source` or `utm_source`, `medium` or
/// `utm_medium`, and `utm_campaign` say where the lead came from (kept only for a lead
/// that has no source yet); every other column is a custom attribute. Empty cells leave
/// a field as it is.
public struct LeadCSVMapping: Sendable {
    public enum Column: Sendable, Hashable {
        case email, firstName, lastName, timeZone, tags
        case source, medium, sourceCampaign
        case attribute(String)
    }

    public let columns: [Column]
    let extraTags: [String]
    let isKnownTimeZone: @Sendable (String) -> Bool

    public struct HeaderProblem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the header row. Throws when it has no `email` column or repeats a column.
    public init(
        header: [String], extraTags: [String] = [],
        isKnownTimeZone: @escaping @Sendable (String) -> Bool = TimeZoneNames.isKnown
    ) throws(HeaderProblem) {
        var columns: [Column] = []
        var seen: Set<String> = []
        for (index, raw) in header.enumerated() {
            let name = Self.normalize(raw)
            guard !name.isEmpty else {
                throw HeaderProblem(description: "column \(index + 1) of the header has no name")
            }
            guard seen.insert(name).inserted else {
                throw HeaderProblem(description: "the header names column '\(name)' twice")
            }
            switch name {
            case "email", "email_address", "e_mail": columns.append(.email)
            case "first_name", "firstname": columns.append(.firstName)
            case "last_name", "lastname": columns.append(.lastName)
            case "timezone", "time_zone", "tz": columns.append(.timeZone)
            case "tags": columns.append(.tags)
            case "source", "utm_source": columns.append(.source)
            case "medium", "utm_medium": columns.append(.medium)
            case "utm_campaign": columns.append(.sourceCampaign)
            default: columns.append(.attribute(name))
            }
        }
        guard columns.contains(.email) else {
            throw HeaderProblem(
                description: "the header has no 'email' column (found: \(header.joined(separator: ", ")))")
        }
        self.columns = columns
        self.extraTags = extraTags
        self.isKnownTimeZone = isKnownTimeZone
    }

    /// `First Name` → `first_name`: attribute names become Mustache-friendly variables.
    public static func normalize(_ header: String) -> String {
        let trimmed = header.trimmingCharacters(in: .whitespaces).lowercased()
        return String(trimmed.map { $0 == " " || $0 == "-" ? "_" : $0 })
    }

    /// Why a row was not imported.
    public struct Rejection: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public func lead(from record: CSVRecord) -> Result<LeadInput, Rejection> {
        func reject(_ reason: String) -> Result<LeadInput, Rejection> {
            .failure(Rejection(line: record.line, reason: reason))
        }
        if let problem = record.problem { return reject(problem) }
        guard record.fields.count == columns.count else {
            return reject("has \(record.fields.count) fields but the header has \(columns.count)")
        }
        var email: EmailAddress?
        var input = (first: String?.none, last: String?.none, zone: String?.none)
        var tags = extraTags
        var attributes: [String: String] = [:]
        var origin = (source: String?.none, medium: String?.none, campaign: String?.none)
        for (column, raw) in zip(columns, record.fields) {
            let value = TextChecks.trimmed(raw)
            switch column {
            case .email:
                do { email = try EmailAddress(value) } catch {
                    return reject(value.isEmpty ? "email is empty" : "email '\(value)' is malformed: \(error)")
                }
            case .firstName, .lastName:
                guard !TextChecks.containsControlCharacter(value) else {
                    return reject(
                        "\(column == .firstName ? "first_name" : "last_name") contains a line break or control character"
                    )
                }
                if column == .firstName {
                    input.first = value.isEmpty ? nil : value
                } else {
                    input.last = value.isEmpty ? nil : value
                }
            case .timeZone:
                guard value.isEmpty || isKnownTimeZone(value) else {
                    return reject("timezone '\(value)' is not an IANA time zone (like America/New_York)")
                }
                input.zone = value.isEmpty ? nil : value
            case .tags:
                for tag in Self.splitTags(value) {
                    guard CampaignParser.isIdentifier(tag) else {
                        return reject("tag '\(tag)' may only hold letters, digits, '_', '-' and '.'")
                    }
                    tags.append(tag)
                }
            case .source: origin.source = value
            case .medium: origin.medium = value
            case .sourceCampaign: origin.campaign = value
            case .attribute(let name):
                // Bytes first: no more bytes than the limit is no more characters.
                guard value.utf8.count <= attributeValueLimit || value.count <= attributeValueLimit else {
                    return reject("\(name) is longer than \(attributeValueLimit) characters")
                }
                if !value.isEmpty { attributes[name] = value }
            }
        }
        guard let email else { return reject("email is empty") }
        return .success(
            LeadInput(
                email: email, firstName: input.first, lastName: input.last, timeZone: input.zone, tags: tags,
                attributes: attributes,
                source: LeadSource(source: origin.source, medium: origin.medium, campaign: origin.campaign)))
    }

    /// Tags are separated by `;` or whitespace.
    public static func splitTags(_ text: String) -> [String] {
        text.utf8.split(whereSeparator: { $0 == UInt8(ascii: ";") || $0 == 0x20 || $0 == 0x09 }).map {
            String(Substring($0))
        }
    }
}
