import Foundation

/// Runs the built `nurture` executable, as a user would from a shell.
public enum NurtureBinary {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The binary in the build folder of the running tests (SwiftPM puts the test
    /// runner and the executable side by side), or `NURTURE_BIN` when set.
    public static var url: URL {
        if let explicit = ProcessInfo.processInfo.environment["NURTURE_BIN"] { return URL(fileURLWithPath: explicit) }
        let testExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = testExecutable.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("nurture")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        fatalError("the nurture binary was not found near \(testExecutable.path); build it or set NURTURE_BIN")
    }

    /// A `nurture` process started in the background.
    public final class Running: @unchecked Sendable {
        public let process: Process
        let outputs: URL

        init(process: Process, outputs: URL) {
            self.process = process
            self.outputs = outputs
        }

        /// Waits for the process to end and collects what it printed.
        public func wait() throws -> Result {
            process.waitUntilExit()
            defer { try? FileManager.default.removeItem(at: outputs) }
            return Result(
                status: process.terminationStatus,
                stdout: try String(contentsOf: outputs.appendingPathComponent("stdout"), encoding: .utf8),
                stderr: try String(contentsOf: outputs.appendingPathComponent("stderr"), encoding: .utf8))
        }

        /// Sends SIGTERM and waits for the process to end, at most `patience` seconds
        /// (then `kill -9`, so a process that ignores the signal fails its test rather
        /// than hanging the suite); also returns how long it took to end.
        public func terminate(patience: TimeInterval = 30) throws -> (result: Result, seconds: TimeInterval) {
            let asked = Date()
            process.terminate()
            let process = process
            DispatchQueue.global().asyncAfter(deadline: .now() + patience) {
                if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            }
            let result = try wait()
            return (result, Date().timeIntervalSince(asked))
        }

        /// `kill -9`: no chance to clean up.
        public func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// Runs `nurture arguments…` in `directory` with a minimal environment plus `environment`.
    public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
        -> Result
    {
        try start(arguments, in: directory, environment: environment).wait()
    }

    /// Starts `nurture arguments…` without waiting. Output goes to files rather than
    /// pipes, so no amount of it can block the child.
    public static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
        -> Running
    {
        let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("nurture-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let outURL = outputs.appendingPathComponent("stdout")
        let errURL = outputs.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)

        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "LANG": "C.UTF-8"]
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        return Running(process: process, outputs: outputs)
    }
}
