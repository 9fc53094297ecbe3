import Foundation

/// A real IMAP and POP3 server for the tests: Debian's dovecot-imapd and dovecot-pop3d,
/// started as a private instance with its own configuration in a temporary folder, plain
/// IMAP and POP3 on free loopback ports,
/// one user (`bounces`, password `secret`). Run as root (as in CI) it serves mail as the
/// package's `dovecot` user, whose login processes must not be root.
public final class DovecotTestServer: @unchecked Sendable {
    public let port: Int
    public let pop3Port: Int
    public let user = "bounces"
    public let password = "secret"
    let folder: TemporaryDirectory
    let process: Process

    public var url: String { "imap://\(user)@127.0.0.1:\(port)/INBOX" }
    public var pop3URL: String { "pop3://\(user)@127.0.0.1:\(pop3Port)" }

    public init() throws {
        folder = try TemporaryDirectory("nurture-dovecot")
        port = try freeLoopbackPort()
        pop3Port = try freeLoopbackPort()
        let root = getuid() == 0
        let mailUser = root ? "dovecot" : (ProcessInfo.processInfo.environment["USER"] ?? "nobody")
        let mail = folder.url.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: folder.url.appendingPathComponent("run/state"), withIntermediateDirectories: true)
        if root {
            // The folder is the test's; the mail in it is the mail user's.
            chmod(folder.url.path, 0o755)
            _ = try Self.text("/bin/chown", ["-R", "dovecot:dovecot", mail.path])
        }
        try "\(user):{PLAIN}\(password)\n".write(
            to: folder.url.appendingPathComponent("users"), atomically: true, encoding: .utf8)
        let base = folder.url.path
        let config = """
            base_dir = \(base)/run
            state_dir = \(base)/run/state
            protocols = imap pop3
            listen = 127.0.0.1
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login
            log_path = \(base)/dovecot.log
            mail_location = maildir:\(base)/mail/%u
            default_internal_user = \(mailUser)
            default_internal_group = \(root ? "dovecot" : mailUser)
            auth_failure_delay = 0
            default_login_user = \(root ? "dovenull" : mailUser)
            first_valid_uid = 1
            first_valid_gid = 1
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u \(base)/users
            }
            userdb {
              driver = static
              args = uid=\(mailUser) gid=\(root ? "dovecot" : mailUser) home=\(base)/mail/%u
            }
            service imap-login {
              chroot =
              inet_listener imap {
                address = 127.0.0.1
                port = \(port)
              }
              inet_listener imaps {
                port = 0
              }
            }
            service pop3-login {
              chroot =
              inet_listener pop3 {
                address = 127.0.0.1
                port = \(pop3Port)
              }
              inet_listener pop3s {
                port = 0
              }
            }
            service anvil {
              chroot =
            }
            """
        try config.write(to: folder.url.appendingPathComponent("dovecot.conf"), atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/dovecot")
        process.arguments = ["-c", folder.url.appendingPathComponent("dovecot.conf").path, "-F"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while (try? Self.text(
            "/usr/bin/curl", ["-sS", "--max-time", "2", "--user", "\(user):\(password)", url, "-X", "NOOP"])) == nil
        {
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                let log =
                    (try? String(contentsOf: folder.url.appendingPathComponent("dovecot.log"), encoding: .utf8)) ?? ""
                throw FixtureScript.NotStarted(description: "dovecot did not start: \(log)")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    deinit {
        // Not SIGTERM: dovecot's master then waits for its auth process, which ignores the
        // signal while idle (minutes). Its children see the master gone and end.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Puts a message into the INBOX (IMAP APPEND, through curl).
    public func append(_ message: String) throws {
        let file = folder.url.appendingPathComponent("append-\(UUID().uuidString).eml")
        try message.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
            .write(to: file, atomically: true, encoding: .utf8)
        _ = try Self.text("/usr/bin/curl", ["-sS", "--user", "\(user):\(password)", url, "-T", file.path])
    }

    /// The UIDs an IMAP SEARCH finds (`NOT KEYWORD NurtureDone`, `DELETED`, ...).
    public func search(_ criteria: String) throws -> [Int] {
        let output = try Self.text(
            "/usr/bin/curl", ["-sS", "--user", "\(user):\(password)", url, "-X", "UID SEARCH \(criteria)"])
        let line = output.split(whereSeparator: \.isNewline).first { $0.hasPrefix("* SEARCH") } ?? ""
        return line.dropFirst(8).split(separator: " ").compactMap { Int($0) }
    }

    /// A short program's standard output, as text.
    static func text(_ executable: String, _ arguments: [String]) throws -> String {
        String(decoding: try ExternalTool.output(executable, arguments), as: UTF8.self)
    }
}
