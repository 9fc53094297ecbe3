import Foundation

/// The complaint guard's state (issue 37.5): what each campaign sent and had complained
/// about lately, and the guards that tripped.
public protocol GuardStore: Sendable {
    /// Per campaign that sent anything or had a complaint since `since` (or since its
    /// last reset, when that is later): complaints (`complained` events naming the
    /// campaign) and messages sent.
    func complaintCounts(since: Date) async throws -> [String: ComplaintGuard.Counts]

    /// The tripped guards, by campaign.
    func guardTrips() async throws -> [String: ComplaintGuard.Trip]

    /// Records a trip (a campaign tripped already keeps its first).
    func recordGuardTrip(_ trip: ComplaintGuard.Trip) async throws

    /// Lets the campaign send again, counting its complaints afresh from `now`; false
    /// when its guard had not tripped.
    func resetGuard(campaignID: String, now: Date) async throws -> Bool
}
