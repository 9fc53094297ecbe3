/// Which leads `leads list` shows: every condition given must hold.
public struct LeadFilter: Sendable, Hashable {
    public var tag: String?
    public var status: LeadStatus?
    /// Leads enrolled in this campaign (in any state).
    public var campaign: String?
    /// Leads that reached one of these stages (`--stage mql`: mql and every later stage).
    public var stages: [String]?

    public init(tag: String? = nil, status: LeadStatus? = nil, campaign: String? = nil, stages: [String]? = nil) {
        self.stages = stages
        self.tag = tag
        self.status = status
        self.campaign = campaign
    }
}
