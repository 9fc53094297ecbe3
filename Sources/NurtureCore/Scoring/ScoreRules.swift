import Foundation

/// How a lead is scored (`score:` in nurture.yml): engagement points for what the lead
/// does (the first human open and click of each message, scored events), halving every
/// `halfLife` as they age, plus fit points for who the lead is.
public struct ScoreRules: Sendable, Hashable {
    public var open: Int
    public var click: Int
    /// Points per recorded event, by event name.
    public var events: [String: Int]
    /// How long until engagement points are worth half; nil: they never lose value.
    public var halfLife: TimeInterval?
    /// Points for who the lead is, each rule on its own.
    public var fit: [FitRule]

    public init(
        open: Int = 1, click: Int = 3, events: [String: Int] = [:], halfLife: TimeInterval? = nil, fit: [FitRule] = []
    ) {
        self.open = open
        self.click = click
        self.events = events
        self.halfLife = halfLife
        self.fit = fit
    }

    /// The event names that score, which is all a store need read of a lead's events.
    public var scoredEvents: Set<String> { Set(events.filter { $0.value != 0 }.keys) }
}
