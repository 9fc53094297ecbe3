import Foundation

/// A real SMTP server on loopback for end-to-end tests: Tests/Fixtures/smtp_server.py on
/// Debian's python3-aiosmtpd, which records what arrives (parsed by Python's `email`
/// package) and can answer with chosen codes.
public final class SMTPTestServer: @unchecked Sendable {
    public let port: Int
    public let folder: TemporaryDirectory
    private let process: Process

    /// Which fixture answers: the aiosmtpd recorder, or the scripted server that fails
    /// chosen stages of the conversation.
    public enum Kind: String, Sendable {
        case recording = "smtp_server.py"
        case scripted = "smtp_script.py"
    }

    /// Starts the server with extra arguments (`--reject-rcpt a@b=550`, `--data-codes 451,250`,
    /// or for the scripted one `--greeting 554`, `--rcpt 552`, …).
    public init(_ arguments: [String] = [], kind: Kind = .recording) throws {
        folder = try TemporaryDirectory("nurture-smtp")
        (process, port) = try FixtureScript.start(
            kind.rawValue, ["--out", folder.url.appendingPathComponent("received").path] + arguments, in: folder,
            what: "the test SMTP server")
    }

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// The messages accepted so far, in order: the JSON summaries the server wrote.
    public func received() throws -> [[String: Any]] {
        let directory = folder.url.appendingPathComponent("received")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }
            .sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }
            .map { name in
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                return try JSONSerialization.jsonObject(with: data) as! [String: Any]
            }
    }

    /// The scripted server's log of the conversation, one step a line ("connect", "EHLO",
    /// "MAIL", "RCPT a@b", "DATA", "dot", "drop", "hang").
    public func log() -> [String] {
        let text = (try? String(contentsOf: folder.url.appendingPathComponent("received/log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// How many messages the scripted server accepted (saved as N.eml).
    public func acceptedCount() -> Int {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: folder.url.appendingPathComponent("received").path))
            ?? []
        return names.filter { $0.hasSuffix(".eml") }.count
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

/// A throw-away certificate for `localhost`, made with the openssl command.
public enum TestCertificate {
    public static func make(in directory: TemporaryDirectory) throws -> (certificate: String, key: String) {
        let certificate = directory.url.appendingPathComponent("cert.pem").path
        let key = directory.url.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return (certificate, key)
    }
}
