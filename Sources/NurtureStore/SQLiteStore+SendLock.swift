import Foundation
import NurtureCore

extension SQLiteStore {
    /// The send lock is a row in the store itself, so every process that reaches the same
    /// file (through any path, a symlink, a bind mount) meets the same lock. Its holder is
    /// named by host, pid and start time; a holder that is gone (`kill -9`) is replaced.
    public func acquireSendLock() throws -> (any SendLock)? {
        let me = ProcessIdentity.current
        let acquired: Bool = try connection.transaction {
            var holder: ProcessIdentity?
            try connection.prepare("SELECT host, pid, process_start FROM send_lock WHERE id = 1").rows {
                holder = ProcessIdentity(host: $0.text(0) ?? "", pid: $0.integer(1), start: $0.text(2) ?? "")
            }
            if let holder, holder != me, holder.isAlive { return false }
            // When the lock was taken is not business state: the wall clock is fine.
            try connection.prepare(
                """
                INSERT INTO send_lock (id, host, pid, process_start, acquired_at) VALUES (1, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                    process_start = excluded.process_start, acquired_at = excluded.acquired_at
                """
            ).rows([.text(me.host), .integer(me.pid), .text(me.start), .integer(Date().epochSeconds)])
            return true
        }
        return acquired ? StoreSendLock(store: self) : nil
    }

    func releaseSendLock() throws {
        let me = ProcessIdentity.current
        try connection.transaction {
            try connection.prepare("DELETE FROM send_lock WHERE id = 1 AND host = ? AND pid = ? AND process_start = ?")
                .rows([.text(me.host), .integer(me.pid), .text(me.start)])
        }
    }
}

/// The store's send lock as the send loop holds it.
struct StoreSendLock: SendLock {
    let store: SQLiteStore

    func release() async { try? await store.releaseSendLock() }
}
