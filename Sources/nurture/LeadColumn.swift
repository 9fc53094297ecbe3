import Foundation
import NurtureCore

/// One column of `leads list --columns`: a field of the lead, a figure worked out for it
/// (score, fit, engagement, its furthest stage), its first touch, or else an attribute
/// by name, so the CSV a CRM imports carries what qualified the lead.
enum LeadColumn: Equatable {
    case email, firstName, lastName, name, status, timeZone, tags, created
    case score, fit, engagement, stage, source, medium, campaign, suppressed
    case attribute(String)

    /// What a column may need beyond the lead itself, found a page of leads at a time.
    struct Facts {
        /// Its furthest stage.
        var stage: String?
        /// The suppression-list entry covering its address.
        var suppressedBy: String?
    }

    static let builtIn: [(String, LeadColumn)] = [
        ("email", .email), ("first_name", .firstName), ("last_name", .lastName), ("name", .name), ("status", .status),
        ("timezone", .timeZone), ("tags", .tags), ("created", .created), ("score", .score), ("fit", .fit),
        ("engagement", .engagement), ("stage", .stage), ("source", .source), ("medium", .medium),
        ("campaign", .campaign), ("suppressed", .suppressed),
    ]

    /// `email,fit,stage,company`: built-in names first, anything else an attribute.
    static func parse(_ text: String) throws -> [LeadColumn] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw UserError("--columns is a comma-separated list, like --columns email,fit,stage,company")
        }
        return names.map { name in builtIn.first { $0.0 == name }?.1 ?? .attribute(name) }
    }

    var header: String {
        if case .attribute(let name) = self { return name }
        return Self.builtIn.first { $0.1 == self }?.0 ?? "?"
    }

    /// The cell's text ("" when the lead has none).
    func text(of lead: Lead, facts: Facts) -> String {
        switch self {
        case .email: lead.email.address
        case .firstName: lead.firstName ?? ""
        case .lastName: lead.lastName ?? ""
        case .name: [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        case .status: lead.status.rawValue
        case .timeZone: lead.timeZone ?? ""
        case .tags: lead.tags.sorted().joined(separator: ";")
        case .created: lead.createdAt.map(LeadDescription.timestamp) ?? ""
        case .score: lead.score.totalText
        case .fit: String(lead.score.fit)
        case .engagement: LeadScore.text(lead.score.engagement)
        case .stage: facts.stage ?? ""
        case .suppressed: facts.suppressedBy ?? ""
        case .source: lead.source?.source ?? ""
        case .medium: lead.source?.medium ?? ""
        case .campaign: lead.source?.campaign ?? ""
        case .attribute(let name): lead.attributes[name] ?? ""
        }
    }

    /// The value in JSON: numbers as numbers, tags as a list, what is missing as null.
    func json(of lead: Lead, facts: Facts) -> Any {
        switch self {
        case .score: return lead.score.total
        case .fit: return lead.score.fit
        case .engagement: return lead.score.engagement
        case .tags: return lead.tags.sorted()
        default:
            let text = text(of: lead, facts: facts)
            return text.isEmpty ? NSNull() : text
        }
    }
}
