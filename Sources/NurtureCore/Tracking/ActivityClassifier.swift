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

    public func classify(_ request: TrackingRequest, message: TrackedMessage, decoyFollowed: Bool = false) -> ActivityVerdict {
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
        let lower = Array(agent.lowercased().utf8)
        if Self.humanProxyIndex.firstMatch(in: lower) != nil { return ActivityVerdict(.human, "image proxy fetching for a reader") }
        if let match = Self.machineAgentIndex.firstMatch(in: lower) {
            return ActivityVerdict(.machine, "user agent names '\(Self.machineAgents[match])'")
        }
        // Apple Mail Privacy Protection loads images with a bare "Mozilla/5.0" from its proxies.
        if request.kind == .open, agent == "Mozilla/5.0" { return ActivityVerdict(.machine, "Apple Mail Privacy Protection") }
        return ActivityVerdict(.human, "browser or mail client")
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
    private let names: [[UInt8]]
    /// For each byte, the indexes of the names that start with it.
    private let byFirstByte: [[Int]]

    public init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
        var table = [[Int]](repeating: [], count: 256)
        for (index, name) in self.names.enumerated() {
            if let first = name.first { table[Int(first)].append(index) }
        }
        byFirstByte = table
    }

    /// The index (in the order given) of the first name that occurs anywhere in `text`.
    public func firstMatch(in text: [UInt8]) -> Int? {
        var best: Int?
        text.withUnsafeBufferPointer { text in
            for start in text.indices {
                for index in byFirstByte[Int(text[start])] where index < (best ?? .max) {
                    let name = names[index]
                    guard name.count <= text.count - start else { continue }
                    if name.withUnsafeBufferPointer({ name in (1..<name.count).allSatisfy { text[start + $0] == name[$0] } }) {
                        best = index
                        if index == 0 { return }
                    }
                }
            }
        }
        return best
    }
}
