import Foundation

/// Whether a lead may still be mailed. Only `active` leads receive steps.
public enum LeadStatus: String, Sendable, Hashable, CaseIterable {
    case active
    case unsubscribed
    case bounced
    case complained
}

/// A person in the funnel: who they are, what we know of them, and whether we may mail them.
public struct Lead: Sendable, Hashable {
    public var id: Int64?
    public var email: EmailAddress
    public var firstName: String?
    public var lastName: String?
    /// IANA zone; nil means the campaign's or installation's default zone.
    public var timeZone: String?
    public var tags: Set<String>
    /// Custom attributes, by name, as text (`company`, `plan`, `trial_ends_at`).
    public var attributes: [String: String]
    public var status: LeadStatus
    /// Filled where it is needed (`leads show`, `leads list`, ticks whose conditions read
    /// it): a score depends on the time it is taken at.
    public var score: LeadScore
    public var createdAt: Date?
    /// Where the lead came from (first touch).
    public var source: LeadSource?
    /// When the lead first recorded each event, by name; filled where the send loop needs
    /// it (goal events end a drip only for ticks at or after their time).
    public var firstEvents: [String: Date] = [:]
    /// The lifecycle stages the lead has reached; filled where it is needed.
    public var stages: Set<String> = []

    public init(
        id: Int64? = nil, email: EmailAddress, firstName: String? = nil, lastName: String? = nil,
        timeZone: String? = nil,
        tags: Set<String> = [], attributes: [String: String] = [:], status: LeadStatus = .active,
        score: LeadScore = .zero,
        createdAt: Date? = nil, source: LeadSource? = nil
    ) {
        self.source = source
        self.id = id
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.timeZone = timeZone
        self.tags = tags
        self.attributes = attributes
        self.status = status
        self.score = score
        self.createdAt = createdAt
    }
}

/// How long a custom attribute's value may be (characters): lead data comes from files
/// and forms, and ends up in messages, pages and fit rules' patterns.
public let attributeValueLimit = 1000

/// What an import row or `leads add` says about a lead. Nil fields are left as they
/// are on an existing lead; tags and attributes are added to what it has.
public struct LeadInput: Sendable, Hashable {
    public var email: EmailAddress
    public var firstName: String?
    public var lastName: String?
    public var timeZone: String?
    public var tags: [String]
    public var attributes: [String: String] {
        didSet { attributesJSON = JSONText.object(attributes) }
    }
    /// `attributes` as the JSON object the stores write, kept with them: an import builds
    /// it while parsing, off the store's writer, which is the import's bottleneck.
    public private(set) var attributesJSON: String
    /// Kept only when the lead has no source yet (first touch).
    public var source: LeadSource?

    /// `tags` without repeats, in order (a handful per lead: no set to hash). Usually
    /// there are none to drop: then it is `tags` itself, with no new array (an import
    /// asks for every row).
    public var uniqueTags: [String] {
        let repeats = tags.indices.contains { index in tags[..<index].contains(tags[index]) }
        guard repeats else { return tags }
        return tags.enumerated().filter { index, tag in !tags[..<index].contains(tag) }.map(\.element)
    }

    public init(
        email: EmailAddress, firstName: String? = nil, lastName: String? = nil, timeZone: String? = nil,
        tags: [String] = [],
        attributes: [String: String] = [:], source: LeadSource? = nil
    ) {
        self.source = source
        self.email = email
        self.firstName = firstName
        self.lastName = lastName
        self.timeZone = timeZone
        self.tags = tags
        self.attributes = attributes
        attributesJSON = JSONText.object(attributes)
    }
}
