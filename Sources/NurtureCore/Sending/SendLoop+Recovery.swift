import Foundation

extension SendLoop {
    /// Messages a dead tick left in `sending`: the transport says whether they arrived
    /// where it can tell; the rest become `unknown` and are never resent silently.
    func recoverInterruptedSends(now: Date, summary: inout TickSummary) async throws -> Int {
        let interrupted = try await store.interruptedSends()
        guard !interrupted.isEmpty else { return 0 }
        var resolutions: [(send: InterruptedSend, delivered: Bool?)] = []
        for send in interrupted {
            // Only claimed: it never reached the transport, so it is simply due again.
            let delivered =
                !send.wasHandedOver || send.messageID.isEmpty
                ? false : await transport.wasDelivered(messageID: send.messageID)
            resolutions.append((send, delivered))
        }
        try await store.resolveInterrupted(resolutions, now: now)
        summary.unknown += resolutions.filter { $0.delivered == nil }.count
        return resolutions.filter { $0.delivered != nil && $0.send.wasHandedOver }.count
    }
}
