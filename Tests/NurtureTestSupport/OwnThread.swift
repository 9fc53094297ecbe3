import Foundation

/// Runs a test's timing-critical steps (racing a running tick: wait for its first
/// messages, then kill it or unsubscribe) on a thread of their own. Swift's shared pool
/// has one thread per core, two here, and other tests' blocking waits can hold both for
/// many seconds on a loaded machine; steps run there could then wake only after the race
/// was over. The calling test waits without holding a thread of the pool. Expectations
/// belong after it, on the values it returns: one made on the thread still fails the run
/// but is not tied to its test.
public enum OwnThread {
    public static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Swift.Result { try body() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
