import Crypto
import Foundation

/// `X-Nurture-Signature: t=TIMESTAMP,v1=HEX`: HMAC-SHA256 under the webhook secret of
/// `TIMESTAMP.BODY` (the Unix time of the attempt, a dot, the raw body). A receiver
/// computes the same over the bytes it got, compares in constant time, and refuses a
/// timestamp more than a few minutes old, so a captured request cannot be replayed later.
public enum WebhookSignature {
    public static let header = "X-Nurture-Signature"

    public static func sign(body: [UInt8], timestamp: Int64, secret: String) -> String {
        "t=\(timestamp),v1=\(hex(body: body, timestamp: timestamp, secret: secret))"
    }

    public static func hex(body: [UInt8], timestamp: Int64, secret: String) -> String {
        var signed = Array("\(timestamp).".utf8)
        signed += body
        let code = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` signs `body` under `secret` at a time within `tolerance` of `now`.
    public static func verify(_ header: String, body: [UInt8], secret: String, now: Date, tolerance: TimeInterval = 300) -> Bool {
        var timestamp: Int64?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) }
            if pair[0] == "v1" { signature = pair[1] }
        }
        guard let timestamp, let signature, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let expected = Array(hex(body: body, timestamp: timestamp, secret: secret).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
