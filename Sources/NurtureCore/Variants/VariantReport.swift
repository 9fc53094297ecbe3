import Foundation

/// Per step and A/B variant: messages sent, and how many a person opened, clicked, or
/// that a conversion is credited to (as in `report`), with each rate's two-proportion
/// test against the step's first variant (the control).
public struct VariantReport: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var step: String
        public var variant: String
        public var sent = 0
        public var opened = 0
        public var clicked = 0
        public var converted = 0
        /// p-values against the step's first variant (nil for the first itself, or with nothing sent).
        public var openP: Double?
        public var clickP: Double?
        public var conversionP: Double?

        public init(step: String, variant: String) {
            self.step = step
            self.variant = variant
        }

        public var openRate: Double { rate(opened) }
        public var clickRate: Double { rate(clicked) }
        public var conversionRate: Double { rate(converted) }

        public func successes(_ metric: WinnerRule.Metric) -> Int {
            switch metric {
            case .openRate: opened
            case .clickRate: clicked
            case .conversionRate: converted
            }
        }

        public func rate(of metric: WinnerRule.Metric) -> Double { rate(successes(metric)) }

        private func rate(_ count: Int) -> Double { sent > 0 ? Double(count) / Double(sent) : 0 }
    }

    public var rows: [Row]

    /// `steps`: the campaign's steps in file order; their variants come first, in the
    /// file's order, followed by variants recorded with messages but no longer written.
    public init(messages: [SentMessage], steps: [Step]) {
        let credited = Set(
            ConversionCredit.credited(
                messages.filter(\.enrollmentConverted), enrollment: \.enrollmentID, sentAt: \.sentAt, row: \.row
            ).map(\.row))
        var tallies: [String: [String: Row]] = [:]
        for message in messages {
            guard let variant = message.variant else { continue }
            var row = tallies[message.step, default: [:]][variant] ?? Row(step: message.step, variant: variant)
            row.sent += 1
            if message.opened { row.opened += 1 }
            if message.clicked { row.clicked += 1 }
            if credited.contains(message.row) { row.converted += 1 }
            tallies[message.step, default: [:]][variant] = row
        }
        var rows: [Row] = []
        let written = steps.filter { !$0.variants.isEmpty }
        let stepOrder = written.map(\.id) + tallies.keys.filter { id in !written.contains { $0.id == id } }.sorted()
        for step in stepOrder {
            let declared = written.first { $0.id == step }?.variants.map(\.id) ?? []
            let order = declared + (tallies[step]?.keys.filter { !declared.contains($0) }.sorted() ?? [])
            var group = order.map { tallies[step]?[$0] ?? Row(step: step, variant: $0) }
            if let control = group.first {
                for index in group.indices.dropFirst() {
                    func test(_ metric: WinnerRule.Metric) -> Double? {
                        TwoProportionTest.pValue(
                            successes: group[index].successes(metric), trials: group[index].sent,
                            successes: control.successes(metric), trials: control.sent)
                    }
                    group[index].openP = test(.openRate)
                    group[index].clickP = test(.clickRate)
                    group[index].conversionP = test(.conversionRate)
                }
            }
            rows += group
        }
        self.rows = rows
    }

    public func rows(ofStep step: String) -> [Row] { rows.filter { $0.step == step } }

    /// A p-value as reports print it: three decimals, or `<0.001`.
    public static func pValueText(_ p: Double) -> String { p < 0.001 ? "<0.001" : String(format: "%.3f", p) }

    /// One line per step with variants: its winner, why and since when, or how its test
    /// stands. `report` and the report page say the same.
    public func testStates(steps: [Step], winners: [VariantWinner]) -> [String] {
        steps.filter { !$0.variants.isEmpty }.map { step in
            let winner = winners.first { $0.step == step.id }
            switch (step.winner, winner) {
            case (.some, .some(let winner)):
                let why =
                    winner.reason == VariantWinner.pickedReason
                    ? "picked in the campaign file"
                    : "\(winner.reason), p = \(winner.pValue.map(Self.pValueText) ?? "-")"
                let since = winner.decidedAt.iso8601Seconds.prefix(16).replacingOccurrences(of: "T", with: " ")
                return "\(step.id): winner \(winner.variant) (\(why)) since \(since) UTC; later leads get it"
            case (.some(let rule), nil):
                let sent = rows(ofStep: step.id).filter { row in step.variants.contains { $0.id == row.variant } }.map {
                    "\($0.variant) \($0.sent)"
                }
                return
                    "\(step.id): testing \(rule.metric.rawValue); a winner once each variant has \(rule.after) sent (\(sent.isEmpty ? "none yet" : sent.joined(separator: ", "))) and one is better at 95%"
            case (nil, _):
                return "\(step.id): no winner rule; leads are split evenly"
            }
        }
    }
}

extension WinnerRule {
    /// The significance a winner needs against every other variant.
    public static let significance = 0.05

    /// The winner of a step's test, if the rule allows one now: every variant (`rows`,
    /// all of the step's current variants) sent at least `after` times, and the best
    /// rate better than each other variant's with p < 0.05. The p-value returned is the
    /// largest of those tests. A picked variant wins at once.
    public func decide(_ rows: [VariantReport.Row]) -> (variant: String, pValue: Double?)? {
        if let pick { return (pick, nil) }
        guard rows.count >= 2, rows.allSatisfy({ $0.sent >= after }) else { return nil }
        let sorted = rows.sorted { $0.rate(of: metric) > $1.rate(of: metric) }
        let best = sorted[0]
        var largest = 0.0
        for other in sorted.dropFirst() {
            guard best.rate(of: metric) > other.rate(of: metric),
                let p = TwoProportionTest.pValue(
                    successes: best.successes(metric), trials: best.sent, successes: other.successes(metric),
                    trials: other.sent),
                p < Self.significance
            else { return nil }
            largest = max(largest, p)
        }
        return (best.variant, largest)
    }
}
