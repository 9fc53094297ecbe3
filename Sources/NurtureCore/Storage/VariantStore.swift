import Foundation

/// A step's A/B test, decided: from `decidedAt` on, its leads get `variant`.
public struct VariantWinner: Sendable, Hashable {
    public var campaignID: String
    public var step: String
    public var variant: String
    public var decidedAt: Date
    /// The metric that decided it (`click_rate`…), or `picked` for a choice in the file.
    public var reason: String
    /// The largest p-value of the winner's tests (nil when picked).
    public var pValue: Double?

    public init(campaignID: String, step: String, variant: String, decidedAt: Date, reason: String, pValue: Double?) {
        self.campaignID = campaignID
        self.step = step
        self.variant = variant
        self.decidedAt = decidedAt
        self.reason = reason
        self.pValue = pValue
    }

    public static let pickedReason = "picked"
}

/// The A/B tests' outcomes in the store (the variants themselves are recorded with each message).
public protocol VariantStore: Sendable {
    func variantWinners() async throws -> [VariantWinner]
    /// Records a step's winner. A winner already recorded stays, unless this one is a
    /// different variant picked in the file: two senders deciding at once keep the first.
    func recordVariantWinner(_ winner: VariantWinner) async throws
}
