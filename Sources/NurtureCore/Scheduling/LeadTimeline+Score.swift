import Foundation

extension LeadTimeline {
    /// A change of the lead's score, and what earned it.
    public struct ScoreChange: Sendable, Hashable {
        public var at: Date
        public var points: Int
        public var reason: String
    }

    /// Where the lead's score came from, under `rules`: the first human open and the first
    /// human click of each message, and each scored event. (A click later unmasked as a
    /// scanner's is stored as machine, so it earns nothing here either.)
    public func scoreChanges(rules: ScoreRules) -> [ScoreChange] {
        var changes: [ScoreChange] = []
        var seen: Set<String> = []
        for item in activity where item.activityClass == "human" && !item.decoy {
            guard seen.insert("\(item.campaignID)/\(item.step)/\(item.kind.rawValue)").inserted else { continue }
            let points = item.kind == .open ? rules.open : rules.click
            guard points != 0 else { continue }
            let what = item.kind == .open ? "first open" : "first click"
            changes.append(ScoreChange(at: item.at, points: points, reason: "\(what) of \(item.campaignID)/\(item.step) by a person"))
        }
        for event in events {
            guard let points = rules.events[event.name], points != 0 else { continue }
            changes.append(ScoreChange(at: event.at, points: points, reason: "event \(event.name)"))
        }
        return changes.sorted { $0.at < $1.at }
    }
}
