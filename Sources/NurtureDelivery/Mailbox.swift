import CCurlShim
import Foundation

/// A mailbox read through libcurl (`mailbox.url`, issue 37.3): the messages not yet
/// handled, each fetched whole, then marked (or deleted) once handled.
public protocol InboundMailbox: AnyObject {
    /// What a message id is called ("UID", "message").
    var idName: String { get }
    /// The messages not handled yet, oldest first (IMAP UIDs, POP3 message numbers).
    func pending() throws -> [UInt64]
    func message(_ id: UInt64) throws -> String
    /// Marks a message handled, or deletes it (`mailbox.after: delete`).
    func markHandled(_ id: UInt64, delete: Bool) throws
    /// Ends the session: deletions take effect.
    func finish() throws
}

public struct MailboxFailure: Error, CustomStringConvertible {
    public let description: String
}

/// Opens the mailbox `url` names: `imap://`, `imaps://`, `pop3://` or `pop3s://`, with
/// the user and, for IMAP, the mailbox (`INBOX` when none).
public func openMailbox(url: String, password: String?, caFile: String?, timeout: Duration) throws -> any InboundMailbox
{
    guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(),
        let host = parsed.host, !host.isEmpty
    else {
        throw MailboxFailure(
            description: "mailbox.url must be imaps://USER@HOST/MAILBOX or pop3s://USER@HOST, not '\(url)'")
    }
    let connection = try MailboxConnection(
        place: "\(scheme)://\(host)\(parsed.port.map { ":\($0)" } ?? "")", password: password, caFile: caFile,
        timeout: timeout)
    var base = parsed
    base.password = nil
    switch scheme {
    case "imap", "imaps":
        base.path = parsed.path.isEmpty || parsed.path == "/" ? "/INBOX" : parsed.path
        return IMAPMailbox(url: base.string ?? url, connection: connection)
    case "pop3", "pop3s":
        base.path = "/"
        return POP3Mailbox(url: base.string ?? url, connection: connection)
    default:
        throw MailboxFailure(description: "mailbox.url must be imap://, imaps://, pop3:// or pop3s://, not '\(url)'")
    }
}

/// One libcurl handle kept open across requests, so the session (and its login) lasts.
final class MailboxConnection {
    private let handle: UnsafeMutableRawPointer
    /// For errors: where, without the user.
    let place: String

    init(place: String, password: String?, caFile: String?, timeout: Duration) throws {
        self.place = place
        let milliseconds = Int(timeout.components.seconds) * 1000
        let opened = withOptionalCString(password) { password in
            withOptionalCString(caFile) { caFile in nurture_mailbox_open(nil, password, caFile, milliseconds) }
        }
        guard let opened else { throw MailboxFailure(description: "libcurl could not start") }
        handle = opened
    }

    deinit { nurture_mailbox_close(handle) }

    func request(_ url: String, command: String?, noBody: Bool = false) throws -> String {
        var answer: UnsafeMutablePointer<CChar>?
        var length = 0
        var error = [CChar](repeating: 0, count: 256)
        let code = url.withCString { url in
            withOptionalCString(command) { command in
                nurture_mailbox_request(handle, url, command, noBody ? 1 : 0, &answer, &length, &error, error.count)
            }
        }
        defer { free(answer) }
        guard code == 0 else {
            let words = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw MailboxFailure(description: "the mailbox \(place) answered: \(words)")
        }
        guard let answer else { return "" }
        return answer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}

/// IMAP: handled means a keyword of our own (`NurtureDone`), not `\Seen`: a person may
/// read the mailbox too, and fetching a message marks it seen before it was handled.
final class IMAPMailbox: InboundMailbox {
    let idName = "UID"
    /// The keyword a handled message gets (IMAP flag keywords are atoms).
    static let handledKeyword = "NurtureDone"
    private let url: String
    private let connection: MailboxConnection
    private var deleted = false

    init(url: String, connection: MailboxConnection) {
        self.url = url
        self.connection = connection
    }

    func pending() throws -> [UInt64] {
        let answer = try connection.request(url, command: "UID SEARCH NOT KEYWORD \(Self.handledKeyword)")
        let line = answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix("* SEARCH") } ?? ""
        return line.dropFirst("* SEARCH".count).split(separator: " ").compactMap { UInt64($0) }.sorted()
    }

    func message(_ id: UInt64) throws -> String {
        try connection.request("\(url);UID=\(id)", command: nil)
    }

    func markHandled(_ id: UInt64, delete: Bool) throws {
        let flags = delete ? "\\Deleted" : "\(Self.handledKeyword) \\Seen"
        _ = try connection.request(url, command: "UID STORE \(id) +FLAGS (\(flags))")
        deleted = deleted || delete
    }

    func finish() throws {
        if deleted { _ = try connection.request(url, command: "EXPUNGE") }
    }
}

/// POP3 has no flags: a handled message is deleted (the deletions take effect when the
/// session ends), or, with `mailbox.after: flag`, left where it is, read again next time
/// and recognized by its Message-ID as handled.
final class POP3Mailbox: InboundMailbox {
    let idName = "message"
    private let url: String
    private let connection: MailboxConnection

    init(url: String, connection: MailboxConnection) {
        self.url = url
        self.connection = connection
    }

    func pending() throws -> [UInt64] {
        // LIST: one "NUMBER SIZE" line per message.
        try connection.request(url, command: nil).split(whereSeparator: \.isNewline)
            .compactMap { $0.split(separator: " ").first.flatMap { UInt64($0) } }.sorted()
    }

    func message(_ id: UInt64) throws -> String {
        try connection.request("\(url)\(id)", command: nil)
    }

    func markHandled(_ id: UInt64, delete: Bool) throws {
        guard delete else { return }
        _ = try connection.request("\(url)\(id)", command: "DELE", noBody: true)
    }

    func finish() throws {}
}
