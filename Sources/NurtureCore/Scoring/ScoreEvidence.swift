import Foundation

/// Something a lead did that may score: a message's first human open or click, or an
/// event. Stores read it from what they recorded; `ScoreRules` turn it into points, so
/// changing the rules re-scores every lead's history the same way on both stores.
public struct ScoreEvidence: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        case open(campaign: String, step: String)
        case click(campaign: String, step: String)
        case event(String)
    }

    public var source: Source
    public var at: Date

    public init(_ source: Source, at: Date) {
        self.source = source
        self.at = at
    }
}

/// Points earned at a time, and what earned them.
public struct ScoreChange: Sendable, Hashable {
    public var at: Date
    public var points: Int
    public var reason: String

    public init(at: Date, points: Int, reason: String) {
        self.at = at
        self.points = points
        self.reason = reason
    }
}

extension ScoreRules {
    /// The points of `evidence`, oldest first: each message's open and click count once
    /// (the earliest), events by their points; evidence worth nothing is left out.
    public func changes(from evidence: [ScoreEvidence]) -> [ScoreChange] {
        var changes: [ScoreChange] = []
        var firstOfMessage: [ScoreEvidence.Source: Int] = [:]
        for item in evidence.sorted(by: { $0.at < $1.at }) {
            switch item.source {
            case .open(let campaign, let step), .click(let campaign, let step):
                guard firstOfMessage[item.source] == nil else { continue }
                let isOpen = if case .open = item.source { true } else { false }
                let points = isOpen ? open : click
                firstOfMessage[item.source] = points
                guard points != 0 else { continue }
                changes.append(
                    ScoreChange(
                        at: item.at, points: points,
                        reason: "\(isOpen ? "first open" : "first click") of \(campaign)/\(step) by a person"))
            case .event(let name):
                guard let points = events[name], points != 0 else { continue }
                changes.append(ScoreChange(at: item.at, points: points, reason: "event \(name)"))
            }
        }
        return changes
    }

    /// What `change` is worth at `time`: its points, halved for every half-life of its
    /// age; nothing before it happened (a replayed tick does not see later activity).
    public func worth(of change: ScoreChange, at time: Date) -> Double {
        guard change.at <= time else { return 0 }
        guard let halfLife, halfLife > 0 else { return Double(change.points) }
        return Double(change.points) * pow(0.5, time.timeIntervalSince(change.at) / halfLife)
    }
}
