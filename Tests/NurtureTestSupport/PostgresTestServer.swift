import Foundation
import Synchronization

/// A real PostgreSQL server for the tests: Debian's `postgresql` binaries, run as an
/// unprivileged cluster in a temporary folder on a free loopback port (as the `postgres`
/// user when the tests run as root, since the server refuses root). One server per test
/// process, started on first use and stopped at exit; each test takes a database of its
/// own from `newDatabase()`.
public final class PostgresTestServer: Sendable {
    public let port: Int
    public let user = "nurture"
    let folder: String
    let binaries: String

    /// The process's server, or the reason it could not start (each test reports it).
    public static let shared: Result<PostgresTestServer, any Error> = Result { try PostgresTestServer() }

    public static func start() throws -> PostgresTestServer { try shared.get() }

    /// A server of the caller's own, for a test that restarts or stops it (the shared one
    /// serves tests running in parallel); `stop()` it at the end. Durable, as PostgreSQL
    /// is by default: with fsync or synchronous commits off, a crash or an immediate
    /// restart loses commits already acknowledged (a message admitted for sending comes
    /// back claimed, and is sent again), which no sender can be asked to survive.
    public static func startPrivate() throws -> PostgresTestServer { try PostgresTestServer(shared: false) }

    private let startOptions: String

    private init(shared: Bool = true) throws {
        guard let binaries = Self.findBinaries() else {
            throw Failure(
                "PostgreSQL's binaries were not found under /usr/lib/postgresql/*/bin: install Debian's postgresql package (scripts/install-deps.sh)"
            )
        }
        self.binaries = binaries
        folder =
            FileManager.default.temporaryDirectory.appendingPathComponent("nurture-pg-\(UUID().uuidString.prefix(8))")
            .path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        port = try freeLoopbackPort()
        // The shared server's durability is not under test: fsync off makes the suite fast.
        let fast = shared ? " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" : ""
        startOptions = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1\(fast) -c max_connections=300"
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", folder]) }
        try runAsOwner(
            "initdb", ["-D", folder + "/data", "-U", user, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        try runAsOwner(
            "pg_ctl",
            ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "start", "-o", startOptions])
        if shared {
            Self.running.withLock { $0 = self }
            atexit { PostgresTestServer.stopRunning() }
        }
    }

    /// `pg_ctl restart -m immediate`: every backend killed at once, as in a crash or a
    /// failover; returns once the server accepts connections again.
    public func restartImmediately() throws {
        try runAsOwner(
            "pg_ctl",
            [
                "-D", folder + "/data", "-l", folder + "/server.log", "-m", "immediate", "-w", "-t", "60", "restart",
                "-o", startOptions,
            ])
    }

    /// Stops a private server and removes its folder.
    public func stop() {
        _ = try? runAsOwner("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts `psql` on `database` reading `script` from its standard input, without
    /// waiting for it (a session that holds a lock while the test goes on).
    public func startPSQL(database url: String, script: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaries + "/psql")
        process.arguments = ["-q", "-v", "ON_ERROR_STOP=1", url]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        return process
    }

    /// A fresh, empty database; returns its URL.
    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try runAsOwner("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", user, name])
        return url(database: name)
    }

    public func url(database: String) -> String { "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    private static let running = Mutex<PostgresTestServer?>(nil)

    private static func stopRunning() {
        guard let server = running.withLock({ $0 }) else { return }
        _ = try? server.runAsOwner("pg_ctl", ["-D", server.folder + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: server.folder)
    }

    @discardableResult
    func runAsOwner(_ tool: String, _ arguments: [String]) throws -> String {
        let path = binaries + "/" + tool
        if getuid() == 0 { return try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", path] + arguments) }
        return try Self.run(path, arguments)
    }

    /// Runs a program to its end with posix_spawn and waitpid (Foundation's Process can
    /// miss the exit of a child whose own child, the server, lives on).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        // A file, not a pipe: the server pg_ctl starts inherits the descriptor and would
        // keep a pipe open for ever.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nurture-pg-out-\(UUID().uuidString)"
        ).path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure("could not start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw Failure("\(executable) \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }

    static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init)
            .sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first {
            FileManager.default.fileExists(atPath: $0 + "/pg_ctl")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}
