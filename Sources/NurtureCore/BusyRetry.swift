import Foundation

/// Runs `body` again while the store answers busy (another process held it past its own
/// timeout), with a growing pause, until `patience` has passed on `clock` (nil: for as
/// long as it takes). For writes a person is waiting on or that cannot be asked again (an
/// unsubscribe, a click, an event): they are retried, never dropped. The clock is the
/// caller's to give (a test's can make two minutes pass at once); by default the
/// monotonic one, which a change of the wall clock cannot cut short.
public func retryingWhileBusy<T>(
    patience: Duration? = .seconds(120), clock: any Clock<Duration> = ContinuousClock(), _ body: () async throws -> T
) async throws -> T {
    try await retrying(patience: patience, on: clock, body)
}

private func retrying<T, C: Clock<Duration>>(patience: Duration?, on clock: C, _ body: () async throws -> T)
    async throws -> T
{
    let deadline = patience.map { clock.now.advanced(by: $0) }
    var pause = Duration.milliseconds(50)
    while true {
        do {
            return try await body()
        } catch let error as StoreError
            where error.kind == .busy && deadline.map({ clock.now.advanced(by: pause) < $0 }) ?? true
        {
            try await clock.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
