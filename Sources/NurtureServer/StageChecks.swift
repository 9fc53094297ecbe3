import Foundation
import Logging
import NurtureCore

/// `serve`'s side of lifecycle stages: a person's open or click, or a lead captured by
/// the form, queues the lead in the store (in the same transaction); this checks the
/// queue right away, in the background, one pass at a time. A pass that fails is not
/// lost: the queue stays, and the next pass or tick checks it.
actor StageChecks {
    private let keeper: @Sendable () -> StageKeeper
    private let now: @Sendable () -> Date
    private let logger: Logger
    private var running = false
    private var again = false

    init(keeper: @escaping @Sendable () -> StageKeeper, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.keeper = keeper
        self.now = now
        self.logger = logger
    }

    /// Asks for a pass; returns at once. Nudges during a pass ask for one more after it.
    nonisolated func nudge() {
        Task { await self.start() }
    }

    private func start() {
        guard !running else {
            again = true
            return
        }
        running = true
        Task { await self.passes() }
    }

    private func passes() async {
        let (keeper, now) = (keeper, now)
        repeat {
            again = false
            do {
                try await Self.pass(keeper(), at: now())
            } catch {
                logger.error("could not check lifecycle stages: \(error)")
            }
        } while again
        running = false
    }

    private nonisolated static func pass(_ keeper: StageKeeper, at time: Date) async throws {
        _ = try await retryingWhileBusy(patience: .seconds(30)) { try await keeper.run(now: time) }
    }
}
