import Foundation
import NurtureCore

extension SQLiteStore {
    /// A private copy of the store as it is now, for a dry run: `VACUUM INTO` reads in one
    /// read transaction, which in WAL mode never blocks a writer, so an unsubscribe or a
    /// click during a long dry run is not kept waiting. The copy is opened as a store of
    /// its own; the caller deletes `path` when done.
    public func snapshot(to path: String) async throws -> SQLiteStore {
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

    func clearSendLock() throws {
        try connection.execute("DELETE FROM send_lock")
    }
}
