/// Clicks on one link of one step (`report CAMPAIGN --links`): the link is its target
/// and its place in the message (the same URL twice in a message is two links).
public struct LinkTally: Sendable, Hashable {
    public var step: String
    /// The A/B variant of the messages (nil: the step has none): variants have links of their own.
    public var variant: String?
    /// The link's number in the message, from 0, as its tracking token says: the HTML
    /// part's links first, the text part's from `LinkRewriter.firstTextLink`.
    public var position: Int
    public var url: String
    /// Messages in which a person clicked it.
    public var uniqueHumanClicks: Int
    /// People's clicks, repeats included.
    public var humanClicks: Int
    /// Requests by machines (scanners, proxies) or without a user agent.
    public var machineClicks: Int

    public init(
        step: String, variant: String? = nil, position: Int, url: String, uniqueHumanClicks: Int, humanClicks: Int,
        machineClicks: Int
    ) {
        self.step = step
        self.variant = variant
        self.position = position
        self.url = url
        self.uniqueHumanClicks = uniqueHumanClicks
        self.humanClicks = humanClicks
        self.machineClicks = machineClicks
    }

    /// Which part of the message the link is in: `html` or `text`.
    public var part: String { position >= LinkRewriter.firstTextLink ? "text" : "html" }

    /// Its place within its part, from 1.
    public var number: Int {
        (position >= LinkRewriter.firstTextLink ? position - LinkRewriter.firstTextLink : position) + 1
    }

    /// How people read its place: `#2` in the HTML part, `text #2` in the text part.
    public var label: String { part == "text" ? "text #\(number)" : "#\(number)" }

    /// In the campaign's step order (steps no longer in the file last), then by variant and position.
    public static func ordered(_ tallies: [LinkTally], stepOrder: [String]) -> [LinkTally] {
        func rank(_ step: String) -> Int { stepOrder.firstIndex(of: step) ?? stepOrder.count }
        return tallies.sorted {
            (rank($0.step), $0.step, $0.variant ?? "", $0.position, $0.url) < (
                rank($1.step), $1.step, $1.variant ?? "", $1.position, $1.url
            )
        }
    }
}
