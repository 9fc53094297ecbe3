import Foundation

/// HTTP/1.1 bytes written by hand on one loopback connection: for what `curl` will not
/// send (pipelined requests, a half-close right after them).
public enum RawHTTP {
    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends `requests` in one write, then closes the sending side when `halfClose`, and
    /// returns everything the server answers until it closes the connection, or until
    /// it says nothing for `quiet` seconds.
    public static func exchange(port: Int, _ requests: String, halfClose: Bool, quiet: Int = 5) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failed(description: "no socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: quiet, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw Failed(description: "cannot connect to port \(port)") }
        let bytes = Array(requests.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw Failed(description: "send failed") }
            sent += written
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += buffer[..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// The status lines in an answer, in order (found wherever they start: a body need
    /// not end in a line break, and the caller's bodies hold no status line).
    public static func statusLines(_ answer: String) -> [String] {
        answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map {
            "HTTP/1.1 " + ($0.components(separatedBy: "\r\n").first ?? "")
        }
    }
}
