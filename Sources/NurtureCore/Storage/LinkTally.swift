/// Clicks on one link of one step (`report CAMPAIGN --links`): the link is its target
/// and its place in the message (the same URL twice in a message is two links).
public struct LinkTally: Sendable, Hashable {
    public var step: String
    /// The link's position in the message, from 0 (as its tracking token says).
    public var position: Int
    public var url: String
    /// Messages in which a person clicked it.
    public var uniqueHumanClicks: Int
    /// People's clicks, repeats included.
    public var humanClicks: Int
    /// Requests by machines (scanners, proxies) or without a user agent.
    public var machineClicks: Int

    public init(step: String, position: Int, url: String, uniqueHumanClicks: Int, humanClicks: Int, machineClicks: Int) {
        self.step = step
        self.position = position
        self.url = url
        self.uniqueHumanClicks = uniqueHumanClicks
        self.humanClicks = humanClicks
        self.machineClicks = machineClicks
    }

    /// In the campaign's step order (steps no longer in the file last), then by position.
    public static func ordered(_ tallies: [LinkTally], stepOrder: [String]) -> [LinkTally] {
        func rank(_ step: String) -> Int { stepOrder.firstIndex(of: step) ?? stepOrder.count }
        return tallies.sorted { (rank($0.step), $0.step, $0.position, $0.url) < (rank($1.step), $1.step, $1.position, $1.url) }
    }
}
