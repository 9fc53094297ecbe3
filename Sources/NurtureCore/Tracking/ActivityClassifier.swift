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
    private static let humanProxyBytes = humanProxies.map { Array($0.utf8) }

    /// Substrings (lowercased) of user agents that belong to scanners, prefetchers and tools.
    static let machineAgents = [
        "bot", "crawler", "spider", "preview", "scanner", "prefetch",
        "safelinks", "proofpoint", "mimecast", "barracuda", "trendmicro", "trend micro", "symantec", "forcepoint",
        "zscaler", "sophos", "fortiguard", "cisco", "ironport", "messagelabs", "paloalto", "checkpoint",
        "microsoft office", "ms-office", "outlook-ios-linkpreview", "skypeuripreview",
        "facebookexternalhit", "slack", "whatsapp", "telegram", "discord",
        "headlesschrome", "phantomjs", "python-requests", "python-urllib", "aiohttp", "curl/", "wget", "go-http-client",
        "java/", "okhttp", "libwww", "httpclient", "node-fetch", "axios",
    ]
    private static let machineAgentBytes = machineAgents.map { Array($0.utf8) }

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
        // Byte by byte: every tracked request checks some fifty names, and Foundation's
        // locale-aware search made this the costliest step of a redirect.
        let lower = Array(agent.lowercased().utf8)
        if Self.humanProxyBytes.contains(where: { Self.contains(lower, $0) }) { return ActivityVerdict(.human, "image proxy fetching for a reader") }
        if let match = Self.machineAgentBytes.firstIndex(where: { Self.contains(lower, $0) }) {
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

    static func contains(_ text: [UInt8], _ name: [UInt8]) -> Bool {
        guard let first = name.first, text.count >= name.count else { return false }
        var start = 0
        while start <= text.count - name.count {
            if text[start] == first, text[start..<start + name.count].elementsEqual(name) { return true }
            start += 1
        }
        return false
    }
}
