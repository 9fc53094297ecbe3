import Foundation

/// A lead's score at a time: fit (who the lead is) plus engagement (what it did, worth
/// less as it ages). Engagement and the total are kept to one decimal, so what
/// `leads show` prints is exactly what `score_at_least` compares.
public struct LeadScore: Sendable, Hashable {
    public var fit: Int
    public var engagement: Double
    /// The fit rules that hold, each with its points.
    public var fitRules: [FitRule]

    public init(fit: Int = 0, engagement: Double = 0, fitRules: [FitRule] = []) {
        self.fit = fit
        self.engagement = engagement
        self.fitRules = fitRules
    }

    public static let zero = LeadScore()

    public var total: Double { Double(fit) + engagement }

    /// `27`, `27.5`, `-3.2`.
    public static func text(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0
            ? String(Int64(tenths / 10)) : String(format: "%.1f", tenths / 10)
    }

    public var totalText: String { Self.text(total) }
}

extension ScoreRules {
    /// The fit rules that hold for `lead`, and their sum.
    public func fit(of lead: Lead) -> (points: Int, rules: [FitRule]) {
        let holding = fit.filter { $0.holds(for: lead) }
        return (holding.reduce(0) { $0 + $1.points }, holding)
    }

    /// The engagement of `changes` at `time`, to one decimal.
    public func engagement(of changes: [ScoreChange], at time: Date) -> Double {
        (changes.reduce(0.0) { $0 + worth(of: $1, at: time) } * 10).rounded() / 10
    }

    /// `lead`'s score at `time` from what it did (`evidence`) and who it is.
    public func score(of lead: Lead, evidence: [ScoreEvidence], at time: Date) -> LeadScore {
        let (points, rules) = fit(of: lead)
        return LeadScore(fit: points, engagement: engagement(of: changes(from: evidence), at: time), fitRules: rules)
    }
}
