import Foundation

/// Where a decoy hit reaches: requests from the same address within `reach` of it,
/// before or after (a scanner follows every link of a message within moments).
public struct DecoyReach: Sendable, Hashable {
    public var ip: String
    public var fromMilliseconds: Int64
    public var toMilliseconds: Int64

    /// Nil for a request without an address: nothing can be tied to it.
    public init?(ip: String?, at: Date, reach: TimeInterval) {
        guard let ip else { return nil }
        self.ip = ip
        let milliseconds = Int64((reach * 1000).rounded())
        fromMilliseconds = at.epochMilliseconds - milliseconds
        toMilliseconds = at.epochMilliseconds + milliseconds
    }
}

/// What storing one more request for a message changes besides the request itself.
/// Both stores apply this; neither decides it.
public struct TrackingOutcome: Sendable, Hashable {
    /// Real clicks within this reach that are not already a machine's become a machine's.
    public var unmask: DecoyReach?

    /// The reason written on an unmasked click.
    public static let unmaskReason = "the same address followed the hidden decoy link"

    /// A decoy hit marks as machine the real clicks from its address within `reach` (a
    /// scanner followed them too, possibly a little before the decoy). Scores need no
    /// change: they are worked out from the stored human clicks (`ScoreEvidence`).
    public init(storing request: TrackingRequest, reach: TimeInterval) {
        guard case .decoy = request.link else { return }
        unmask = DecoyReach(ip: request.ip, at: request.at, reach: reach)
    }
}
