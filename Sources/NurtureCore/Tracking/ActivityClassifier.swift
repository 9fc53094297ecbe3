import Foundation

/// Tells a person's open or click from a machine's, by the signals a request carries.
/// Pure: the same request and message give the same verdict.
///
/// Machines that fetch mail links and images: privacy proxies that load every image at
/// delivery (Apple Mail Privacy Protection), security gateways that follow every link
/// before the reader sees it (Microsoft Safe Links, Proofpoint, Mimecast, Barracuda …),
/// link unfurlers and prefetchers. Gmail's and Yahoo's image proxies fetch the pixel only
/// when the reader opens the message, so they count as people.
public struct ActivityClassifier: Sendable {
    /// Requests this soon after delivery are machines: no person reads that fast
    /// (`tracking.machine_window` in nurture.yml, 2 seconds by default).
    public var machineWindow: TimeInterval

    public init(machineWindow: TimeInterval = 2) {
        self.machineWindow = machineWindow
    }

    /// Proxies that load images when a person opens the message.
    static let humanProxies = ["googleimageproxy", "yahoomailproxy", "ymailproxy"]
    private static let humanProxyIndex = NameIndex(humanProxies)

    /// Substrings (lowercased) of user agents that belong to scanners, prefetchers and tools.
    public static let machineAgents = [
        "bot", "crawler", "spider", "preview", "scanner", "prefetch",
        "safelinks", "proofpoint", "mimecast", "barracuda", "trendmicro", "trend micro", "symantec", "forcepoint",
        "zscaler", "sophos", "fortiguard", "cisco", "ironport", "messagelabs", "paloalto", "checkpoint",
        "microsoft office", "ms-office", "outlook-ios-linkpreview", "skypeuripreview",
        "facebookexternalhit", "slack", "whatsapp", "telegram", "discord",
        "headlesschrome", "phantomjs", "python-requests", "python-urllib", "aiohttp", "curl/", "wget", "go-http-client",
        "java/", "okhttp", "libwww", "httpclient", "node-fetch", "axios",
    ]
    private static let machineAgentIndex = NameIndex(machineAgents)

    public func classify(_ request: TrackingRequest, message: TrackedMessage, decoyFollowed: Bool = false)
        -> ActivityVerdict
    {
        if case .decoy = request.link { return ActivityVerdict(.machine, "followed the hidden decoy link") }
        if request.isHead { return ActivityVerdict(.machine, "HEAD request") }
        if let purpose = request.purpose?.lowercased(), purpose.contains("prefetch") || purpose.contains("preview") {
            return ActivityVerdict(.machine, "prefetch (\(purpose))")
        }
        if decoyFollowed { return ActivityVerdict(.machine, "the same address followed the hidden decoy link") }
        if let delivered = message.deliveredAt {
            let seconds = request.at.timeIntervalSince(delivered)
            if seconds < machineWindow {
                return ActivityVerdict(.machine, String(format: "%.1f s after delivery", seconds))
            }
        }
        guard let agent = request.userAgent.map(Self.trimmed), !agent.isEmpty else {
            return ActivityVerdict(.unknown, "no user agent")
        }
        // One pass over the agent's bytes: every tracked request checks some fifty names,
        // and Foundation's locale-aware search made this the costliest step of a redirect.
        let lower = Self.lowercasedBytes(agent)
        if Self.humanProxyIndex.firstMatch(in: lower) != nil {
            return ActivityVerdict(.human, "image proxy fetching for a reader")
        }
        if let match = Self.machineAgentIndex.firstMatch(in: lower) {
            return ActivityVerdict(.machine, "user agent names '\(Self.machineAgents[match])'")
        }
        // Apple Mail Privacy Protection loads images with a bare "Mozilla/5.0" from its proxies.
        if request.kind == .open, agent == "Mozilla/5.0" {
            return ActivityVerdict(.machine, "Apple Mail Privacy Protection")
        }
        return ActivityVerdict(.human, "browser or mail client")
    }

    /// The agent's bytes lowercased: byte by byte when it is ASCII (nearly always, and
    /// then the same as `lowercased()`), else through Unicode's rules.
    static func lowercasedBytes(_ agent: String) -> [UInt8] {
        guard agent.utf8.allSatisfy({ $0 < 0x80 }) else { return Array(agent.lowercased().utf8) }
        return agent.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 32 : $0 }
    }

    /// The agent without surrounding whitespace; Foundation's trimming only when an end
    /// is not plain ASCII (nearly never: it is slow for a per-request check).
    static func trimmed(_ agent: String) -> String {
        guard let first = agent.utf8.first, let last = agent.utf8.last,
            first > 0x20, first < 0x7F, last > 0x20, last < 0x7F
        else { return agent.trimmingCharacters(in: .whitespaces) }
        return agent
    }

}

/// Names to look for in a text, grouped by their first byte, so that one pass over the
/// text compares only the names that could start at each place.
public struct NameIndex: Sendable {
    /// Every name's bytes, one after the other; `ranges[i]` is name i's.
    private let bytes: [UInt8]
    private let ranges: [Range<Int>]
    /// The names starting with byte b are `order[bucketStarts[b] ..< bucketStarts[b + 1]]`,
    /// in the order given. Flat arrays read through pointers: this runs for every
    /// byte of every tracked request's user agent.
    private let order: [Int]
    private let bucketStarts: [Int]

    public init(_ names: [String]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for name in names {
            let start = bytes.count
            bytes += name.utf8
            ranges.append(start..<bytes.count)
        }
        var order: [Int] = []
        var bucketStarts: [Int] = []
        for byte in 0...255 {
            bucketStarts.append(order.count)
            order += ranges.indices.filter { !ranges[$0].isEmpty && bytes[ranges[$0].lowerBound] == UInt8(byte) }
        }
        bucketStarts.append(order.count)
        (self.bytes, self.ranges, self.order, self.bucketStarts) = (bytes, ranges, order, bucketStarts)
    }

    /// The index (in the order given) of the first name that occurs anywhere in `text`.
    public func firstMatch(in text: [UInt8]) -> Int? {
        var best = Int.max
        text.withUnsafeBufferPointer { text in
            bytes.withUnsafeBufferPointer { names in
                ranges.withUnsafeBufferPointer { ranges in
                    order.withUnsafeBufferPointer { order in
                        bucketStarts.withUnsafeBufferPointer { buckets in
                            for start in 0..<text.count {
                                let byte = Int(text[start])
                                for slot in buckets[byte]..<buckets[byte + 1] {
                                    let index = order[slot]
                                    if index >= best { break }
                                    let name = ranges[index]
                                    guard name.count <= text.count - start else { continue }
                                    if memcmp(
                                        text.baseAddress! + start, names.baseAddress! + name.lowerBound, name.count)
                                        == 0
                                    {
                                        best = index
                                        if index == 0 { return }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return best == .max ? nil : best
    }
}
