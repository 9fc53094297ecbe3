import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process as the send lock names its holder: host, pid and the kernel's start time
/// of that pid, so that a pid reused by another program after a crash is not mistaken
/// for the holder.
struct ProcessIdentity: Sendable, Hashable {
    var host: String
    var pid: Int64
    /// Field 22 of /proc/PID/stat (clock ticks after boot), or "" where there is no /proc.
    var start: String

    static let current = ProcessIdentity(
        host: ProcessInfo.processInfo.hostName, pid: Int64(getpid()), start: startTime(of: getpid()))

    /// Whether this process still runs. A holder on another host cannot be checked from
    /// here and counts as alive (a SQLite store is not meant to be shared over a network).
    var isAlive: Bool {
        guard host == Self.current.host else { return true }
        guard pid > 0, pid <= Int64(Int32.max) else { return false }
        if kill(pid_t(pid), 0) != 0 && errno == ESRCH { return false }
        let now = Self.startTime(of: pid_t(pid))
        return start.isEmpty || now.isEmpty || now == start
    }

    private static func startTime(of pid: pid_t) -> String {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return "" }
        // After "pid (comm)" come the fields from 3 on; the start time is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : ""
    }
}
