import Foundation

/// Runs a program to its end without holding a thread while it runs (42.5: a blocking wait
/// holds one of the shared pool's few threads, and enough of them stall every test).
/// Output goes to files rather than pipes, so a chatty program never blocks on a full
/// pipe nobody reads yet.
public enum ExternalTool {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil) async throws -> Result
    {
        let folder = try TemporaryDirectory("nurture-tool")
        let out = folder.url.appendingPathComponent("stdout")
        let err = folder.url.appendingPathComponent("stderr")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Result(
            status: status, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs a short program to its end on this thread and returns its standard output; an
    /// exit status other than 0 (or 1, when `exitOneToo`: a verifier saying no) throws.
    /// For setup steps and checks that take a moment (openssl, curl, chown).
    @discardableResult
    public static func output(_ executable: String, _ arguments: [String], exitOneToo: Bool = false) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 || exitOneToo && process.terminationStatus == 1 else {
            throw Failure(
                description:
                    "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))"
            )
        }
        return data
    }
}
