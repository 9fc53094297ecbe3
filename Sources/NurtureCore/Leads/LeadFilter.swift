/// Which leads `leads list` shows: every condition given must hold.
public struct LeadFilter: Sendable, Hashable {
    public var tag: String?
    public var status: LeadStatus?
    /// Leads enrolled in this campaign (in any state).
    public var campaign: String?

    public init(tag: String? = nil, status: LeadStatus? = nil, campaign: String? = nil) {
        self.tag = tag
        self.status = status
        self.campaign = campaign
    }
}
