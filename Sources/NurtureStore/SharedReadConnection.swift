import Foundation
import NurtureCore

/// A read-only connection usable from any thread, one caller at a time (a lock), opened
/// on first use. In WAL mode its reads see every commit so far and never wait for the
/// store actor's writes.
final class SharedReadConnection: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private let busyTimeoutMilliseconds: Int32
    private var connection: SQLiteConnection?

    init(path: String, busyTimeoutMilliseconds: Int32) {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try lock.withLock {
            let open = try connection ?? SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            connection = open
            return try body(open)
        }
    }
}
