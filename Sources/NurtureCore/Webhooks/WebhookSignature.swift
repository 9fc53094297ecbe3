import Crypto
import Foundation

/// `X-Nurture-Signature: t=TIMESTAMP,v1=HEX`: HMAC-SHA256 under the webhook secret of
/// `TIMESTAMP.BODY` (the Unix time of the attempt, a dot, the raw body). A receiver
/// computes the same over the bytes it got, compares in constant time, and refuses a
/// timestamp more than a few minutes old, so a captured request cannot be replayed later
/// (the README shows it; the tests keep a receiver's check beside them).
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
}
