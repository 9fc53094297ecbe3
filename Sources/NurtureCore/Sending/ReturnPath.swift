/// VERP (variable envelope return path): each message's MAIL FROM names it, so a
/// delivery report that comes back later says which message bounced, whatever the
/// reporting server wrote in its body. `bounces@acme.example` becomes
/// `bounces+TOKEN@acme.example`, the token signed like tracking links
/// (`LinkSigner.returnPathToken`).
public struct ReturnPath: Sendable {
    /// The configured envelope sender (`smtp.envelope_from`).
    public let base: EmailAddress
    public let signer: LinkSigner

    public init(base: EmailAddress, signer: LinkSigner) {
        self.base = base
        self.signer = signer
    }

    /// The return path of message row `row`; the plain base when the token would make
    /// the local part longer than SMTP allows (64 octets).
    public func address(forMessageRow row: Int64) -> String {
        let local = "\(base.address.split(separator: "@").first ?? "")+\(signer.returnPathToken(messageRow: row))"
        guard local.utf8.count <= 64 else { return base.address }
        return "\(local)@\(base.domain)"
    }

    /// The message row a return path names, when it is one of ours; nil otherwise.
    public func messageRow(in address: String) -> Int64? {
        let parts = address.split(separator: "@", maxSplits: 1)
        guard parts.count == 2, parts[1].lowercased() == base.domain.lowercased(),
            let plus = parts[0].lastIndex(of: "+")
        else { return nil }
        return signer.messageRow(inReturnPathToken: String(parts[0][parts[0].index(after: plus)...]))
    }
}
