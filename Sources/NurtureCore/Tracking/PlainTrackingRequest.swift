/// A request head read straight off the wire when it is the plain case of a tracking
/// request: `GET` or `HEAD` of `/o/…` or `/c/…` over HTTP/1.1, with only the headers a
/// recorded open or click reads. `serve` answers those without its HTTP stack; anything
/// else, down to a header it does not expect, goes to the full parser (`notPlain`), so
/// this never has to get HTTP's corners right, only recognise the common case exactly.
public struct PlainTrackingRequest: Sendable, Equatable {
    public var isHead: Bool
    /// `/o/TOKEN` or `/c/TOKEN`: base64url, dots, padding and slashes only.
    public var path: String
    public var userAgent: String?
    /// `Sec-Purpose`, else `Purpose` (a prefetch says so).
    public var purpose: String?
    public var forwardedFor: String?
    /// The bytes of the head, its blank line included.
    public var length: Int

    public enum Reading: Sendable, Equatable {
        case plain(PlainTrackingRequest)
        /// So far the start of a plain request: wait for more bytes.
        case incomplete
        /// Not the plain case (or not yet decidable within `limit` bytes).
        case notPlain
    }

    private static let starts: [StaticString] = ["GET /o/", "GET /c/", "HEAD /o/", "HEAD /c/"]

    /// Longer heads are left to the full parser and its limits.
    public static let limit = 8 * 1024

    /// Reads the request at the start of `bytes`.
    public static func read(_ bytes: UnsafeRawBufferPointer) -> Reading {
        guard starts.contains(where: { hasPrefix(bytes, $0, orIsOne: true) }) else { return .notPlain }
        let end: Int
        switch headEnd(bytes) {
        case .end(let found): end = found
        case .notYet: return bytes.count < limit ? .incomplete : .notPlain
        // A line ended by a bare LF (or CR) never makes a plain head: the full parser
        // refuses it at once, rather than this waiting for a CRLF that will not come.
        case .bareLineEnd: return .notPlain
        }
        let isHead = bytes[0] == UInt8(ascii: "H")
        var index = isHead ? 5 : 4
        let pathStart = index
        while index < end, isPathByte(bytes[index]) { index += 1 }
        let pathEnd = index
        // The version must be 1.1: 1.0 keeps no connection open unless asked, which the
        // full stack handles.
        guard hasPrefix(UnsafeRawBufferPointer(rebasing: bytes[index...]), " HTTP/1.1\r\n", orIsOne: false) else {
            return .notPlain
        }
        index += 11
        var request = PlainTrackingRequest(
            isHead: isHead, path: String(decoding: bytes[pathStart..<pathEnd], as: UTF8.self), userAgent: nil,
            purpose: nil,
            forwardedFor: nil, length: end + 4)
        var secPurpose: String?
        var seen = Set<Field>()
        while index < end + 2 {
            guard let lineEnd = lineEnd(bytes, from: index), lineEnd <= end else { return .notPlain }
            switch header(bytes, from: index, to: lineEnd) {
            case .notPlain:
                return .notPlain
            case .ignored:
                break
            case .read(let field, let value):
                // A field given twice is the full parser's to combine.
                guard seen.insert(field).inserted else { return .notPlain }
                switch field {
                case .userAgent: request.userAgent = value
                case .secPurpose: secPurpose = value
                case .purpose: request.purpose = value
                case .forwardedFor: request.forwardedFor = value
                case .host: break
                }
            }
            index = lineEnd + 2
        }
        // RFC 9112 §3.2: exactly one Host; without one the HTTP stack refuses the request.
        guard seen.contains(.host) else { return .notPlain }
        request.purpose = secPurpose ?? request.purpose
        return .plain(request)
    }

    /// The headers read; any other name in the list below sends the request on.
    private enum Field: Hashable {
        case userAgent, secPurpose, purpose, forwardedFor, host
    }

    /// Headers that change how a request is read or answered (a body, the connection's
    /// fate, an upgrade): requests carrying them take the full path.
    private static let refused: Set<String> = [
        "content-length", "transfer-encoding", "connection", "upgrade", "expect", "te", "trailer",
    ]

    private enum HeaderLine {
        /// A header this does not read (Accept, Cookie …).
        case ignored
        case read(Field, String)
        case notPlain
    }

    /// One header line: a field read and its value, one ignored, or one that sends the
    /// request to the full parser (not a plain `name: value`, a refused name, control
    /// characters or trailing whitespace in the value).
    private static func header(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> HeaderLine {
        var colon = start
        while colon < end, isTokenByte(bytes[colon]) { colon += 1 }
        guard colon > start, colon < end, bytes[colon] == UInt8(ascii: ":") else { return .notPlain }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        if valueStart < end, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { return .notPlain }
        for index in valueStart..<end where (bytes[index] < 0x20 && bytes[index] != 0x09) || bytes[index] == 0x7F {
            return .notPlain
        }
        let name = String(unsafeUninitializedCapacity: colon - start) { out in
            for offset in 0..<(colon - start) {
                let byte = bytes[start + offset]
                out[offset] = byte >= 0x41 && byte <= 0x5A ? byte + 32 : byte
            }
            return colon - start
        }
        let field: Field
        switch name {
        case "user-agent": field = .userAgent
        case "sec-purpose": field = .secPurpose
        case "purpose": field = .purpose
        case "x-forwarded-for": field = .forwardedFor
        case "host": field = .host
        default: return refused.contains(name) ? .notPlain : .ignored
        }
        return .read(field, String(decoding: bytes[valueStart..<end], as: UTF8.self))
    }

    private enum HeadEnd {
        /// Where the blank line that ends the head starts (the CR after the last header's CRLF).
        case end(Int)
        /// Not arrived yet.
        case notYet
        /// A LF without its CR, or a CR followed by anything but LF, came first.
        case bareLineEnd
    }

    /// One pass over the head: where it ends, or why it cannot be a plain one.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer) -> HeadEnd {
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: return .bareLineEnd
            case 0x0D:
                guard index + 1 < bytes.count else { return .notYet }
                guard bytes[index + 1] == 0x0A else { return .bareLineEnd }
                if index + 3 < bytes.count, bytes[index + 2] == 0x0D, bytes[index + 3] == 0x0A { return .end(index) }
                index += 2
            default: index += 1
            }
        }
        return .notYet
    }

    /// The CR of the CRLF that ends the line starting at `start`; nil when a bare CR or LF
    /// comes first (the full parser's to judge).
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 0x0D { return bytes[index + 1] == 0x0A ? index : nil }
            if bytes[index] == 0x0A { return nil }
            index += 1
        }
        return nil
    }

    /// Whether `bytes` starts with `prefix`, or (with `orIsOne`) is itself the start of it.
    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString, orIsOne: Bool) -> Bool {
        let count = prefix.utf8CodeUnitCount
        let compared = min(count, bytes.count)
        guard orIsOne || compared == count else { return false }
        for offset in 0..<compared where bytes[offset] != prefix.utf8Start[offset] { return false }
        return true
    }

    /// The bytes of a token's path: base64url, its dot and padding, and the slashes.
    public static func isPathByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "="), UInt8(ascii: "/"): true
        default: false
        }
    }

    /// RFC 9110 §5.6.2 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
