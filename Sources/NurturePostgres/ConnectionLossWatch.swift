import NIOCore
import PostgresNIO
import Synchronization

/// Fails a store operation the moment its connection closes, instead of letting it wait
/// for ever.
///
/// PostgresNIO 1.33.2 hands a query to its connection's channel without asking how the
/// write went; once the channel has closed and its handlers are gone, the write fails
/// unseen and the query's own promise is never completed. So a server restart between
/// two statements of a transaction left the statement after it waiting for good: with
/// `pg_ctl restart -m immediate` mid-tick, five runs of six left a sender stuck (a
/// traced run: a transaction's `BEGIN` answered, its next statement neither answered
/// nor failed, for minutes). Here each operation runs in a task of its own and its
/// caller waits for the first of the operation's end and its connection's close; after
/// a close the abandoned task stays suspended (a few hundred bytes, once per lost
/// connection and operation on it) and the caller learns the connection was lost.
///
/// One close callback per connection, not one per operation: a pooled connection lives
/// for millions of operations, and a callback each would be kept until it closed.
final class ConnectionLossWatch: Sendable {
    /// Per connection, what each operation waiting on it does when it closes.
    private let onClose = Mutex<[PostgresConnection.ID: [UInt64: @Sendable () -> Void]]>([:])
    private let nextKey = Atomic<UInt64>(0)

    /// Runs `operation` on `connection`; throws `lost()` if the connection closes first.
    func run<Result: Sendable>(
        on connection: PostgresConnection, lost: @escaping @Sendable () -> any Error,
        _ operation: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let key = nextKey.add(1, ordering: .relaxed).newValue
        let id = connection.id
        return try await withCheckedThrowingContinuation { continuation in
            let caller = ResumeOnce(continuation)
            let isFirst = onClose.withLock { table -> Bool in
                let isFirst = table[id] == nil
                table[id, default: [:]][key] = { caller.resume(with: .failure(lost())) }
                return isFirst
            }
            if isFirst {
                connection.closeFuture.whenComplete { [self] _ in
                    for closed in (onClose.withLock { $0.removeValue(forKey: id) } ?? [:]).values { closed() }
                }
            }
            Task {
                let result: Swift.Result<Result, any Error>
                do { result = .success(try await operation(connection)) } catch { result = .failure(error) }
                _ = onClose.withLock { $0[id]?.removeValue(forKey: key) }
                caller.resume(with: result)
            }
        }
    }
}

/// A continuation resumed by the first of several parties; the others find it gone.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<Value, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
