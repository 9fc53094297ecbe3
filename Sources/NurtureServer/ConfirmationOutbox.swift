import Foundation
import Logging
import NurtureCore

/// Mails the confirmations of double opt-in after the form has answered (issue 41.5):
/// the form only records the request (`SubscriptionStore.requestSubscription`, the same
/// work for a known address and a new one), and this drains the store's outbox of due
/// confirmations, in the background, one pass at a time. A mail that fails stays due:
/// the next request, or the next `serve`, tries again.
final class ConfirmationOutbox: Sendable {
    private let passes: CoalescedPasses

    /// `mailsPerMinute`: confirmation mails in a minute, all addresses together; beyond
    /// it they wait (they stay due meanwhile).
    init(
        store: any Store, confirmation: SubscriptionConfirmation, signer: LinkSigner, baseURL: String,
        loadCatalog: @escaping @Sendable () -> CampaignCatalog,
        makeTransport: @escaping @Sendable () throws -> any Transport,
        now: @escaping @Sendable () -> Date, mailsPerMinute: Int, logger: Logger
    ) {
        let drain = Drain(
            store: store, confirmation: confirmation, signer: signer, baseURL: baseURL, loadCatalog: loadCatalog,
            makeTransport: makeTransport, now: now,
            mailLimit: WindowCounter(allowed: mailsPerMinute, window: 60), logger: logger)
        passes = CoalescedPasses(failure: "could not mail subscription confirmations", logger: logger) {
            try await drain.pass()
        }
    }

    /// Asks for a pass; returns at once.
    func nudge() { passes.nudge() }
}

/// One pass over the outbox of confirmations.
private struct Drain: Sendable {
    let store: any Store
    let confirmation: SubscriptionConfirmation
    let signer: LinkSigner
    let baseURL: String
    let loadCatalog: @Sendable () -> CampaignCatalog
    let makeTransport: @Sendable () throws -> any Transport
    let now: @Sendable () -> Date
    let mailLimit: WindowCounter
    let logger: Logger

    /// Mails every confirmation due, a page at a time, on one transport; stops at the
    /// first that fails (the server is down: the rest would fail the same way).
    func pass() async throws {
        var transport: (any Transport)?
        do {
            try await send(using: &transport)
            await transport?.finish()
        } catch {
            await transport?.finish()
            throw error
        }
    }

    private func send(using transport: inout (any Transport)?) async throws {
        while true {
            let due = try await retryingWhileBusy { try await store.confirmationsDue(limit: 20) }
            guard !due.isEmpty else { return }
            let templates = loadCatalog().templates
            for pending in due {
                // Over the minute's allowance the rest waits (they stay due meanwhile).
                while let wait = mailLimit.take("all", now: now()) {
                    try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 10))
                }
                let at = now()
                let url = "\(baseURL)/subscribe/confirm/\(confirmation.token(for: pending, signer: signer))"
                let message = confirmation.message(for: pending, confirmURL: url, templates: templates, date: at)
                let open = try transport ?? makeTransport()
                transport = open
                let result = await open.deliver(message)
                guard case .delivered = result else {
                    logger.error("could not send the confirmation to \(pending.input.email): \(result)")
                    return
                }
                try await retryingWhileBusy { try await store.markConfirmationSent(id: pending.id, now: at) }
            }
        }
    }
}
