import Foundation
import NurtureCore

/// Read-only connections usable from any thread, opened as needed: each caller borrows
/// one for its read (the lock guards only the free list), so the SMTP threads checking
/// their next messages at once do not queue behind each other. In WAL mode a read sees
/// every commit so far and never waits for the store actor's writes. At most as many
/// connections are opened as callers ever read at once (one per SMTP connection).
final class SharedReadConnection: @unchecked Sendable {
    private let lock = NSLock()
    private let path: String
    private let busyTimeoutMilliseconds: Int32
    private var idle: [SQLiteConnection] = []

    init(path: String, busyTimeoutMilliseconds: Int32) {
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
    }

    func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let borrowed =
            try lock.withLock { idle.popLast() }
            ?? SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        defer { lock.withLock { idle.append(borrowed) } }
        return try body(borrowed)
    }
}
