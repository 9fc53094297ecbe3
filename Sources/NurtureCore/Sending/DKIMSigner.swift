import Crypto
import Foundation
import NurtureMIME
import _CryptoExtras

/// A DKIM signing key (RFC 6376; RFC 8463 for Ed25519): the domain and selector it
/// signs as, and the key itself.
public struct DKIMKey: Sendable {
    public enum Algorithm: String, Sendable {
        case rsaSHA256 = "rsa-sha256"
        case ed25519SHA256 = "ed25519-sha256"
    }

    public let domain: String
    public let selector: String
    public let algorithm: Algorithm
    private let signer: @Sendable ([UInt8]) throws -> [UInt8]
    /// The DNS TXT record's `p=` value for this key (what a verifier looks up).
    public let publicKeyRecord: String

    /// Reads a PEM private key: RSA (PKCS #1 or #8, 2048 bits or more) or Ed25519 (PKCS #8).
    public init(domain: String, selector: String, pem: String) throws {
        self.domain = domain.lowercased()
        self.selector = selector
        if let seed = Self.ed25519Seed(pem: pem) {
            algorithm = .ed25519SHA256
            publicKeyRecord = Data(
                try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey.rawRepresentation
            ).base64EncodedString()
            // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the signed data. The key is
            // made from its seed for each signature: the type is not Sendable here.
            signer = { data in
                Array(
                    try Curve25519.Signing.PrivateKey(rawRepresentation: seed).signature(
                        for: Data(SHA256.hash(data: data))))
            }
            return
        }
        let rsa: _RSA.Signing.PrivateKey
        do {
            rsa = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw KeyError("not an RSA (2048 bits or more) or Ed25519 private key in PEM")
        }
        algorithm = .rsaSHA256
        publicKeyRecord = Data(rsa.publicKey.derRepresentation).base64EncodedString()
        signer = { data in
            Array(try rsa.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    func sign(_ data: [UInt8]) throws -> [UInt8] { try signer(data) }

    /// Ed25519's PKCS #8 form is fixed: this prefix, then the 32-byte seed (RFC 8410).
    private static let ed25519Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    private static func ed25519Seed(pem: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN PRIVATE KEY-----"),
            let end = lines.firstIndex(of: "-----END PRIVATE KEY-----"), begin < end,
            let der = Data(base64Encoded: lines[(begin + 1)..<end].joined())
        else { return nil }
        let bytes = [UInt8](der)
        guard bytes.count == 48, Array(bytes.prefix(16)) == ed25519Prefix else { return nil }
        return Array(bytes.suffix(32))
    }

    public struct KeyError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

/// Signs outgoing messages with every key whose domain is the From domain or a parent of
/// it, relaxed/relaxed, `h=` covering the headers a bulk sender must sign (RFC 8058 §4
/// for the one-click unsubscribe) with From over-signed, so no From can be added later.
public struct DKIMSigner: Sendable {
    public let keys: [DKIMKey]
    /// The real clock, for `t=`: a replayed `--now` in the future would make verifiers
    /// refuse the signature ("t= value is in the future").
    public let clock: @Sendable () -> Date

    public init(keys: [DKIMKey], clock: @escaping @Sendable () -> Date) {
        self.keys = keys
        self.clock = clock
    }

    /// Signed in this order; a header missing from the message is signed as absent, so
    /// none can be added in transit. From twice: the second matches no header, which
    /// makes a second From fail the signature.
    public static let signedHeaders = [
        "from", "to", "subject", "date", "message-id", "mime-version", "content-type", "reply-to", "list-id",
        "list-unsubscribe", "list-unsubscribe-post", "from",
    ]

    /// The keys that sign mail from `domain`.
    public func keys(for domain: String) -> [DKIMKey] {
        let domain = domain.lowercased()
        return keys.filter { domain == $0.domain || domain.hasSuffix("." + $0.domain) }
    }

    /// `message` (CRLF line ends) with a DKIM-Signature header per key for `fromDomain`
    /// put in front; unchanged when no key signs that domain.
    public func sign(_ message: String, fromDomain: String) throws -> String {
        let keys = keys(for: fromDomain)
        guard !keys.isEmpty else { return message }
        let (fields, body) = DKIMCanonical.split(message)
        let bodyHash = Data(SHA256.hash(data: DKIMCanonical.relaxedBody(body))).base64EncodedString()
        let signedFields = Self.pick(Self.signedHeaders, from: fields)
        var signatures = ""
        for key in keys {
            let tags =
                "v=1; a=\(key.algorithm.rawValue); c=relaxed/relaxed; d=\(key.domain); s=\(key.selector);\r\n"
                + "\tt=\(Int64(clock().timeIntervalSince1970)); h=\(Self.signedHeaders.joined(separator: ":"));\r\n"
                + "\tbh=\(bodyHash);\r\n\tb="
            var signed = signedFields.map { DKIMCanonical.relaxedHeader(name: $0.name, rawValue: $0.rawValue) + "\r\n" }
                .joined()
            signed += DKIMCanonical.relaxedHeader(name: "DKIM-Signature", rawValue: " " + tags)
            let signature = Data(try key.sign(Array(signed.utf8))).base64EncodedString()
            signatures += "DKIM-Signature: " + tags + Self.folded(signature) + "\r\n"
        }
        return signatures + message
    }

    /// For each name in `names`, the last instance not yet taken (RFC 6376 §5.4.2: a name
    /// signed twice takes instances from the bottom up); a name with none left adds nothing.
    static func pick(_ names: [String], from fields: [DKIMCanonical.Field]) -> [DKIMCanonical.Field] {
        var taken = Set<Int>()
        var picked: [DKIMCanonical.Field] = []
        for name in names {
            if let index = fields.indices.last(where: { !taken.contains($0) && fields[$0].name.lowercased() == name }) {
                taken.insert(index)
                picked.append(fields[index])
            }
        }
        return picked
    }

    /// The signature in lines of 70 characters (folding white space inside b= is ignored).
    static func folded(_ text: String) -> String {
        var lines: [Substring] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(rest.prefix(70))
            rest = rest.dropFirst(70)
        }
        return lines.joined(separator: "\r\n\t")
    }
}
