import Foundation
import NurtureCore

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a file beside the store. The kernel drops it when the process
/// exits in any way (`kill -9` included), so a crashed tick never blocks the next one.
final class FileLock: SendLock, @unchecked Sendable {
    // The descriptor is written once in `init` and closed once in `release`, under `lock`.
    private var descriptor: Int32
    private let lock = NSLock()

    /// Nil when another process holds the lock.
    init?(path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError(.failed, "cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(fd)
            if reason == EWOULDBLOCK { return nil }
            throw StoreError(.failed, "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        descriptor = fd
    }

    func release() async {
        lock.withLock {
            guard descriptor >= 0 else { return }
            flock(descriptor, LOCK_UN)
            close(descriptor)
            descriptor = -1
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}
