import Foundation

/// `report --by stage`: how many leads reached each stage, and what share of those at
/// the step before went on (the first stage against all leads).
public struct StageFunnel: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var stage: String
        public var leads: Int
        /// Of the leads at the previous row, the share that reached this stage; nil when
        /// there were none.
        public var rateFromPrevious: Double?
    }

    public var totalLeads: Int
    public var rows: [Row]

    /// `counts` by stage id, in the order of `stages`; stages no lead reached count 0.
    public init(stages: [String], counts: [String: Int], totalLeads: Int) {
        self.totalLeads = totalLeads
        var previous = totalLeads
        rows = stages.map { stage in
            let leads = counts[stage] ?? 0
            defer { previous = leads }
            return Row(
                stage: stage, leads: leads, rateFromPrevious: previous > 0 ? Double(leads) / Double(previous) : nil)
        }
    }
}
