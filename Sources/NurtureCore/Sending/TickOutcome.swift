import Foundation

/// What a finished tick means for `status`'s "last stop" line.
public enum TickOutcome: Sendable, Hashable {
    /// It delivered at least one message: the server works.
    case delivered
    /// It stopped, or could deliver nothing, for this reason (the server, the stage, the cause).
    case stopped(reason: String)
    /// It had nothing to deliver.
    case quiet
}

extension TickSummary {
    public var outcome: TickOutcome {
        if let stoppedBecause { return .stopped(reason: stoppedBecause) }
        if sent > 0 { return .delivered }
        if retrying > 0 {
            return .stopped(reason: "no message could be delivered\(lastRetryReason.map { " (last: \($0))" } ?? "")")
        }
        return .quiet
    }
}
