import Foundation

/// An open or a click.
public enum ActivityKind: String, Sendable, Hashable, CaseIterable {
    case open
    case click
}

/// Who most likely made a request: a person, a machine (a privacy proxy, a link scanner,
/// a prefetcher), or no telling.
public enum ActivityClass: String, Sendable, Hashable, CaseIterable {
    case human
    case machine
    case unknown
}

/// One request to a tracking URL, as `serve` saw it.
public struct TrackingRequest: Sendable, Hashable {
    public var link: TrackedLink
    public var at: Date
    /// `HEAD` rather than `GET`.
    public var isHead: Bool
    public var userAgent: String?
    public var ip: String?
    /// The `Purpose` or `Sec-Purpose` header, if any (browsers send `prefetch`).
    public var purpose: String?

    public init(
        link: TrackedLink, at: Date, isHead: Bool = false, userAgent: String? = nil, ip: String? = nil,
        purpose: String? = nil
    ) {
        self.link = link
        self.at = at
        self.isHead = isHead
        self.userAgent = userAgent
        self.ip = ip
        self.purpose = purpose
    }

    public var kind: ActivityKind {
        if case .open = link { return .open }
        return .click
    }
}

/// A request as it is stored: classified, with the reason.
public struct RecordedActivity: Sendable, Hashable {
    public var request: TrackingRequest
    public var verdict: ActivityVerdict

    public init(request: TrackingRequest, verdict: ActivityVerdict) {
        self.request = request
        self.verdict = verdict
    }
}

/// A classification and why.
public struct ActivityVerdict: Sendable, Hashable {
    public var activityClass: ActivityClass
    public var reason: String

    public init(_ activityClass: ActivityClass, _ reason: String) {
        self.activityClass = activityClass
        self.reason = reason
    }
}

/// What a message is, for classifying a request to one of its tracking URLs.
public struct TrackedMessage: Sendable, Hashable {
    public var row: Int64
    /// When the transport accepted it (wall clock); nil while it has not been sent.
    public var deliveredAt: Date?

    public init(row: Int64, deliveredAt: Date?) {
        self.row = row
        self.deliveredAt = deliveredAt
    }
}
