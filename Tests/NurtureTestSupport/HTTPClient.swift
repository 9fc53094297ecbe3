import Foundation

/// HTTP from the tests through the real curl binary: what a browser or a mail client's
/// link checker would send, over loopback.
public enum Curl {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// Runs `curl -s arguments…` and returns the status, the last response's headers
    /// (lowercased names) and the body.
    public static func fetch(_ arguments: [String]) throws -> Response {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let body = folder.appendingPathComponent("body")
        let headers = folder.appendingPathComponent("headers")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments =
            ["-s", "-o", body.path, "-D", headers.path, "-w", "%{http_code}", "--max-time", "20"] + arguments
        let status = Pipe()
        process.standardOutput = status
        try process.run()
        process.waitUntilExit()
        let code = Int(String(decoding: status.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) ?? 0
        var fields: [String: String] = [:]
        for line in ((try? String(contentsOf: headers, encoding: .utf8)) ?? "").components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Response(status: code, headers: fields, body: (try? String(contentsOf: body, encoding: .utf8)) ?? "")
    }

    /// Requests every URL at the same moment (one curl, all transfers in parallel, not
    /// one after another) and returns their status codes in completion order.
    public static func fetchAtOnce(_ urls: [String], arguments: [String] = []) throws -> [Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments =
            [
                "-s", "--parallel", "--parallel-immediate", "--parallel-max", "64", "-w", "%{http_code}\n",
                "--max-time", "20",
            ]
            + arguments + urls.flatMap { ["-o", "/dev/null", $0] }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").map { Int($0) ?? 0 }
    }
}

/// `nurture serve` on a free loopback port, for the length of a test.
public final class ServeProcess: @unchecked Sendable {
    public let port: Int
    public let running: NurtureBinary.Running
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts serve in `directory` and waits until `/healthz` answers. The port is one the
    /// kernel just handed out, not a random pick: a random one can be a port some other
    /// test's client is using as its ephemeral end, and serve then fails to bind.
    public init(in directory: URL, port: Int? = nil, arguments: [String] = [], environment: [String: String] = [:])
        async throws
    {
        let port = try port ?? freeLoopbackPort()
        self.port = port
        running = try NurtureBinary.start(
            ["serve", "--port", "\(port)"] + arguments, in: directory, environment: environment)
        for _ in 0..<300 {
            if (try? Curl.fetch(["\(baseURL)/healthz"]).status) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        running.kill()
        struct NotUp: Error, CustomStringConvertible {
            var description: String
        }
        throw NotUp(description: "nurture serve did not answer on port \(port): \((try? running.wait().stderr) ?? "")")
    }

    public func stop() { running.kill() }

    /// Sends SIGTERM and waits for serve to exit (killed after 20 s if it does not).
    public func terminate() throws -> NurtureBinary.Result {
        try running.terminate(patience: 20).result
    }
}
