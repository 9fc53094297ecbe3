import Foundation
import NurtureCore

/// A receiver's side of `WebhookSignature`, as the README tells a CRM to check it:
/// only the tests receive webhooks, so it lives with them.
extension WebhookSignature {
    /// Whether `header` signs `body` under `secret` at a time within `tolerance` of `now`.
    public static func verify(_ header: String, body: [UInt8], secret: String, now: Date, tolerance: TimeInterval = 300)
        -> Bool
    {
        var timestamp: Int64?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) }
            if pair[0] == "v1" { signature = pair[1] }
        }
        guard let timestamp, let signature, abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else {
            return false
        }
        let expected = Array(hex(body: body, timestamp: timestamp, secret: secret).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
