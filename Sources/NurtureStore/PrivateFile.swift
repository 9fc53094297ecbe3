import Foundation
import NurtureCore

#if canImport(Glibc)
    import Glibc
#endif

/// The store holds every lead and the link-signing secret: its file is created readable
/// by its owner only (0600). SQLite gives the -wal and -shm files the database's mode.
enum PrivateFile {
    /// Creates an empty file with mode 0600 unless `path` exists (then it is left alone).
    static func createIfMissing(_ path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw StoreError(.failed, "cannot create the store at \(path): \(String(cString: strerror(errno)))")
        }
    }
}
