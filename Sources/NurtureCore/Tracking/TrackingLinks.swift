/// What a tracking token names: an open of a message, a click on one of its links, or
/// the hidden decoy link that only machines follow.
public enum TrackedLink: Sendable, Hashable {
    case open(messageRow: Int64)
    case click(messageRow: Int64, link: Int, url: String)
    case decoy(messageRow: Int64)

    public var messageRow: Int64 {
        switch self {
        case .open(let row), .click(let row, _, _), .decoy(let row): return row
        }
    }
}

/// Builds and reads the signed URLs that point at `serve`: a message's unsubscribe,
/// open, click and decoy links. A click token
/// carries its target URL, so a redirect needs no lookup and nobody can point it
/// elsewhere: the target is under the signature.
public struct TrackingLinks: Sendable {
    /// The public base URL of `nurture serve`, without a trailing slash.
    public let baseURL: String
    public let signer: LinkSigner

    public init(baseURL: String, signer: LinkSigner) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.signer = signer
    }

    public func unsubscribeURL(enrollmentID: Int64, step: String) -> String {
        "\(baseURL)/u/\(signer.unsubscribeToken(enrollmentID: enrollmentID, step: step))"
    }

    public func openURL(messageRow: Int64) -> String {
        "\(baseURL)/o/\(signer.token(purpose: "o", payload: String(messageRow)))"
    }

    public func clickURL(messageRow: Int64, link: Int, url: String) -> String {
        "\(baseURL)/c/\(signer.token(purpose: "c", payload: "\(messageRow).\(link).\(url)"))"
    }

    public func decoyURL(messageRow: Int64) -> String {
        "\(baseURL)/c/\(signer.token(purpose: "d", payload: String(messageRow)))"
    }

    /// Whether `url` already points at `serve` (unsubscribe links): those are not wrapped.
    public func isOwn(_ url: String) -> Bool { url.hasPrefix(baseURL + "/") }

    /// What an open token (`/o/TOKEN`) names, or nil when this installation did not sign it.
    public func open(token: String) -> TrackedLink? {
        signer.payload(of: token, purpose: "o").flatMap(Int64.init).map { .open(messageRow: $0) }
    }

    /// What a click token (`/c/TOKEN`) names: a real link or the decoy; nil when not ours.
    public func click(token: String) -> TrackedLink? {
        guard let (purpose, payload) = signer.open(token) else { return nil }
        if purpose == "d" { return Int64(payload).map { .decoy(messageRow: $0) } }
        guard purpose == "c" else { return nil }
        let parts = payload.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let row = Int64(parts[0]), let link = Int(parts[1]) else { return nil }
        let url = String(parts[2])
        // Signed by us, so it was http(s) when we wrapped it; checked again all the same.
        guard LinkRewriter.isWebURL(url) else { return nil }
        return .click(messageRow: row, link: link, url: url)
    }
}
