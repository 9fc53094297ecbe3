import Foundation
import NurtureCore
import Synchronization
import Testing

/// A clock whose time moves only when someone sleeps on it: minutes of retrying pass at
/// once.
final class SteppingClock: Clock {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
    }

    let current = Mutex(Instant(offset: .zero))
    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        current.withLock { $0 = max($0, deadline) }
    }
}

@Suite struct BusyRetryTests {
    @Test func aBusyStoreIsAskedAgainUntilItAnswers() async throws {
        let clock = SteppingClock()
        let attempts = Mutex(0)
        let answer = try await retryingWhileBusy(clock: clock) {
            let attempt = attempts.withLock {
                $0 += 1
                return $0
            }
            if attempt < 4 { throw StoreError(.busy, "the store is busy") }
            return "recorded"
        }
        #expect(answer == "recorded")
        #expect(attempts.withLock { $0 } == 4)
        // Pauses of 50, 100 and 200 ms between the four tries.
        #expect(clock.now.offset == .milliseconds(350))
    }

    @Test func itGivesUpWhenItsPatienceIsSpent() async throws {
        let clock = SteppingClock()
        let attempts = Mutex(0)
        await #expect(throws: StoreError.self) {
            try await retryingWhileBusy(patience: .seconds(120), clock: clock) { () async throws -> Int in
                attempts.withLock { $0 += 1 }
                throw StoreError(.busy, "the store is busy")
            }
        }
        // Doubling pauses up to 2 s, never sleeping past the two minutes.
        #expect(clock.now.offset <= .seconds(120) && clock.now.offset > .seconds(117), "\(clock.now.offset)")
        #expect(attempts.withLock { $0 } > 50)
    }

    @Test func otherErrorsAreNotRetried() async throws {
        let attempts = Mutex(0)
        await #expect(throws: StoreError.self) {
            try await retryingWhileBusy(clock: SteppingClock()) { () async throws -> Int in
                attempts.withLock { $0 += 1 }
                throw StoreError(.failed, "the disk is full")
            }
        }
        #expect(attempts.withLock { $0 } == 1)
    }
}
