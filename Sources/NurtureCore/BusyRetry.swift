import Foundation

/// Runs `body` again while the store answers busy (another process held it past its own
/// timeout), with a growing pause, until `patience` has passed (nil: for as long as it
/// takes). For writes a person is waiting on or that cannot be asked again (an
/// unsubscribe, a click, an event): they are retried, never dropped.
public func retryingWhileBusy<T>(patience: Duration? = .seconds(120), _ body: () async throws -> T) async throws -> T {
    let clock = ContinuousClock()
    let deadline = patience.map { clock.now + $0 }
    var pause = Duration.milliseconds(50)
    while true {
        do {
            return try await body()
        } catch let error as StoreError where error.kind == .busy && deadline.map({ clock.now + pause < $0 }) ?? true {
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(2))
        }
    }
}
