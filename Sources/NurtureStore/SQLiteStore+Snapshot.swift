import Foundation
import NurtureCore

extension SQLiteStore {
    /// A private copy of the store as it is now, for a dry run: `VACUUM INTO` reads in one
    /// read transaction, which in WAL mode never blocks a writer, so an unsubscribe or a
    /// click during a long dry run is not kept waiting. The copy is opened as a store of
    /// its own; the caller deletes `path` when done.
    func snapshot(to path: String) async throws -> SQLiteStore {
        try PrivateFile.createIfMissing(path)
        try connection.prepare("VACUUM INTO ?").rows([.text(path)])
        // The dry run's process closes this store at its end: that close must not take the
        // write lock either (as the last connection, it would checkpoint).
        connection.skipCheckpointOnClose()
        let copy = try SQLiteStore(path: path)
        // A tick running on the real store holds its lock; the copy is the dry run's own.
        try await copy.clearSendLock()
        return copy
    }

    /// A dry run works on a private snapshot, removed afterwards.
    public nonisolated func withDiscardedChanges<Result: Sendable>(_ body: (any Store) async throws -> Result)
        async throws -> Result
    {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nurture-dry-run-\(UUID().uuidString).sqlite"
        ).path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
        }
        return try await body(try await snapshot(to: copy))
    }

    func clearSendLock() throws {
        try connection.execute("DELETE FROM send_lock")
    }
}
