import Foundation

/// A server in Tests/Fixtures, run with Debian's /usr/bin/python3: started, and waited
/// for until it prints "READY <port>".
enum FixtureScript {
    struct NotStarted: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `script` with `arguments`, its output in `folder`/server.log; returns the
    /// process and the port it listens on.
    static func start(_ script: String, _ arguments: [String], in folder: TemporaryDirectory, what: String) throws -> (
        Process, Int
    ) {
        let log = folder.url.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Repository.root.appendingPathComponent("Tests/Fixtures/\(script)").path] + arguments
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while true {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }),
                let port = Int(line.dropFirst(6))
            {
                return (process, port)
            }
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw NotStarted(description: "\(what) did not start: \(text)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

/// A loopback port nothing listens on now (bound to 0, read, released): for a server
/// the test starts later, or one that must be down.
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw FixtureScript.NotStarted(description: "no free loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
