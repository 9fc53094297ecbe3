import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Which messages this process wrote MAIL FROM for, and which the server then took: a
/// line each, written with `write(2)` right before the MAIL FROM and right after the
/// final dot's 2xx (issue 36.11).
///
/// A message is admitted (`sending`, a durable commit) a few at a time ahead of its
/// connection, so after `kill -9` every admitted message used to be in doubt (32 where
/// 4 were on the wire). The journal tells them apart on the next tick: admitted and
/// never started is due again; started and accepted is sent; only started without an
/// answer stays unknown, at most one per connection. Written without `fsync`: a killed
/// process's writes are in the kernel's page cache and survive it, a power cut's are
/// not; so a journal is trusted only within the boot that wrote it, and otherwise every
/// admitted message stays unknown, as without a journal.
final class SendJournal: @unchecked Sendable {
    /// A journal line's kind.
    private enum Mark: String {
        case started = "S"
        case delivered = "D"
    }

    private let file: URL
    /// Appended to by every connection's thread without a lock: a `write(2)` to a file
    /// opened with O_APPEND lands whole at the end. Closed by `remove`, once the threads
    /// have ended.
    private let descriptor: Int32

    /// Starts this process's journal in `directory` (made if missing, readable by its
    /// owner only): named by the boot and the process, so the next tick knows whose it is.
    init(directory: URL) {
        file = directory.appendingPathComponent("\(Self.bootID).\(getpid()).journal")
        try? FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o600)
    }

    func started(_ messageID: String) { append(.started, messageID) }
    func delivered(_ messageID: String) { append(.delivered, messageID) }

    private func append(_ mark: Mark, _ messageID: String) {
        guard descriptor >= 0 else { return }
        var line = "\(mark.rawValue) \(messageID)\n"
        _ = line.withUTF8 { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Removes this process's journal: every outcome it covered is recorded, and the
    /// threads that wrote it have ended.
    func remove() {
        if descriptor >= 0 { close(descriptor) }
        unlink(file.path)
    }

    /// The current boot's id (Linux); a journal from another boot may have lost lines.
    static let bootID: String = {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8)) ?? ""
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? "unknown-boot" : id
    }()

    /// What the journals of processes that are gone say about the messages they left.
    struct Recovery {
        /// False when a journal may have lost lines (another boot's) or there is none:
        /// then nothing can be told, and every interrupted message stays unknown.
        var trusted: Bool
        var started: Set<String> = []
        var delivered: Set<String> = []
        var files: [URL] = []

        /// true: accepted; false: never started (due again); nil: in doubt.
        func verdict(_ messageID: String) -> Bool? {
            guard trusted else { return nil }
            if delivered.contains(messageID) { return true }
            return started.contains(messageID) ? nil : false
        }

        /// Forgets the journals read: their messages are settled.
        func removeFiles() {
            for file in files { unlink(file.path) }
        }
    }

    /// Reads the journals in `directory` of processes no longer running, leaving out
    /// `own` (this process's).
    static func recover(directory: URL, own: SendJournal?) -> Recovery {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var recovery = Recovery(trusted: true)
        for name in names where name.hasSuffix(".journal") {
            let file = directory.appendingPathComponent(name)
            if file.path == own?.file.path { continue }
            let parts = name.split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[1]) else { continue }
            guard parts[0] == Substring(bootID) else {
                // Another boot's: a power cut may have lost its last lines.
                recovery.trusted = false
                recovery.files.append(file)
                continue
            }
            // A process still running has interrupted nothing.
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            recovery.files.append(file)
            let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 1)
                guard fields.count == 2, let mark = Mark(rawValue: String(fields[0])) else { continue }
                switch mark {
                case .started: recovery.started.insert(String(fields[1]))
                case .delivered: recovery.delivered.insert(String(fields[1]))
                }
            }
        }
        if recovery.files.isEmpty { recovery.trusted = false }
        return recovery
    }
}
