import CCurlShim
import Foundation

/// A mailbox read over IMAP through libcurl (`mailbox.url`, issue 37.3): the messages not
/// yet handled, each fetched whole, then flagged (or deleted) once handled. Handled means
/// a keyword of our own (`NurtureDone`), not `\Seen`: a person may read the mailbox too,
/// and fetching a message marks it seen before it was handled.
public final class IMAPMailbox {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The keyword a handled message gets (IMAP flag keywords are atoms).
    static let handledKeyword = "NurtureDone"

    private let url: String
    private let handle: UnsafeMutableRawPointer
    /// For errors: the URL without its user.
    private let place: String

    /// `url` is `imap://` or `imaps://`, with the user and the mailbox (`INBOX` when
    /// none): `imaps://bounces@mail.acme.example/INBOX`.
    public init(url: String, password: String?, caFile: String?, timeout: Duration) throws {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
            ["imap", "imaps"].contains(scheme), let host = parsed.host, !host.isEmpty
        else {
            throw Failure(description: "mailbox.url must be imap:// or imaps://USER@HOST/MAILBOX, not '\(url)'")
        }
        let mailbox = parsed.path.isEmpty || parsed.path == "/" ? "/INBOX" : parsed.path
        var base = parsed
        base.path = mailbox
        base.password = nil
        self.url = base.string ?? url
        place = "\(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "")\(mailbox)"
        let milliseconds = Int(timeout.components.seconds) * 1000
        let opened = withOptionalCString(password) { password in
            withOptionalCString(caFile) { caFile in nurture_mailbox_open(nil, password, caFile, milliseconds) }
        }
        guard let opened else { throw Failure(description: "libcurl could not start") }
        handle = opened
    }

    deinit { nurture_mailbox_close(handle) }

    /// The UIDs of the messages not handled yet, oldest first.
    public func pending() throws -> [UInt64] {
        let answer = try request(url, command: "UID SEARCH NOT KEYWORD \(Self.handledKeyword)")
        let line = answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix("* SEARCH") } ?? ""
        return line.dropFirst("* SEARCH".count).split(separator: " ").compactMap { UInt64($0) }.sorted()
    }

    /// The whole message with UID `uid`.
    public func message(uid: UInt64) throws -> String {
        try request("\(url);UID=\(uid)", command: nil)
    }

    /// Marks the message handled: flagged with the keyword (and seen), or deleted (gone at
    /// the next `expunge`).
    public func markHandled(uid: UInt64, delete: Bool) throws {
        let flags = delete ? "\\Deleted" : "\(Self.handledKeyword) \\Seen"
        _ = try request(url, command: "UID STORE \(uid) +FLAGS (\(flags))")
    }

    /// Removes the messages marked deleted.
    public func expunge() throws {
        _ = try request(url, command: "EXPUNGE")
    }

    private func request(_ url: String, command: String?) throws -> String {
        var answer: UnsafeMutablePointer<CChar>?
        var length = 0
        var error = [CChar](repeating: 0, count: 256)
        let code = url.withCString { url in
            withOptionalCString(command) { command in
                nurture_mailbox_request(handle, url, command, &answer, &length, &error, error.count)
            }
        }
        defer { free(answer) }
        guard code == 0 else {
            let words = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw Failure(description: "the mailbox \(place) answered: \(words)")
        }
        guard let answer else { return "" }
        return answer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
