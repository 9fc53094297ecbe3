import Crypto
import Foundation

/// Signs and checks the tokens in unsubscribe and tracking links with
/// HMAC-SHA256 under this installation's secret. A token is `PAYLOAD.TAG` in base64url;
/// a link not signed here is refused, never followed.
public struct LinkSigner: Sendable {
    /// HMAC-SHA256 (RFC 2104) with the key already absorbed: the inner and outer hashes
    /// have taken their padded key blocks, so a copy per token costs only the token's own
    /// blocks. Written on SHA256 itself: swift-crypto's `HMAC` is generic over the hash,
    /// and resolving that at run time cost more than the hashing on every tracked request.
    /// The hash states are never changed here (each use copies them, copy-on-write) but
    /// are not marked Sendable.
    private struct Key: @unchecked Sendable {
        let inner: SHA256
        let outer: SHA256

        init(_ secret: String) {
            var key = Array(secret.utf8)
            if key.count > 64 { key = Array(SHA256.hash(data: key)) }
            key += [UInt8](repeating: 0, count: 64 - key.count)
            var inner = SHA256()
            inner.update(data: key.map { $0 ^ 0x36 })
            var outer = SHA256()
            outer.update(data: key.map { $0 ^ 0x5C })
            (self.inner, self.outer) = (inner, outer)
        }

        func code(for body: UnsafeRawBufferPointer) -> SHA256Digest {
            var inner = self.inner
            inner.update(bufferPointer: body)
            var outer = self.outer
            inner.finalize().withUnsafeBytes { outer.update(bufferPointer: $0) }
            return outer.finalize()
        }

        /// Whether `tag` is `body`'s code, compared in constant time.
        func signs(_ body: [UInt8], with tag: [UInt8]) -> Bool {
            guard tag.count == SHA256.byteCount else { return false }
            let code = body.withUnsafeBytes { self.code(for: $0) }
            return code.withUnsafeBytes { code in
                var difference: UInt8 = 0
                for index in 0..<SHA256.byteCount { difference |= code[index] ^ tag[index] }
                return difference == 0
            }
        }
    }

    private let current: Key
    /// The key before the last rotation: its links keep working.
    private let previous: Key?

    public init(secret: String, previousSecret: String? = nil) {
        current = Key(secret)
        previous = previousSecret.map(Key.init)
    }

    /// A token carrying `payload` for links of `purpose` (a one-letter kind, so that an
    /// unsubscribe token can never be used as another kind of link).
    public func token(purpose: String, payload: String) -> String {
        let body = Array("\(purpose):\(payload)".utf8)
        let code = body.withUnsafeBytes { current.code(for: $0) }
        return Self.base64URL(body) + "." + code.withUnsafeBytes { Self.base64URL($0) }
    }

    /// A VERP token for message row `row`, short enough for an address's local part
    /// (RFC 5321: 64 octets) and in lower case, as some servers fold local parts: the
    /// row in base 36, a dash, and 80 bits of its HMAC in base 32 (about 25 characters).
    public func returnPathToken(messageRow row: Int64) -> String {
        String(row, radix: 36) + "-" + Self.base32(Array(returnPathCode(row, key: current).prefix(10)))
    }

    /// The message row a VERP token names, or nil when it was not signed here (under the
    /// current secret or the one before it).
    public func messageRow(inReturnPathToken token: String) -> Int64? {
        let parts = token.lowercased().split(separator: "-")
        guard parts.count == 2, let row = Int64(parts[0], radix: 36), row > 0 else { return nil }
        for key in [current] + (previous.map { [$0] } ?? []) {
            let expected = Self.base32(Array(returnPathCode(row, key: key).prefix(10)))
            // Both are public-length strings of the same alphabet: compared in constant time.
            guard expected.utf8.count == parts[1].utf8.count else { continue }
            if zip(expected.utf8, parts[1].utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 { return row }
        }
        return nil
    }

    private func returnPathCode(_ row: Int64, key: Key) -> [UInt8] {
        Array("v:\(row)".utf8).withUnsafeBytes { Array(key.code(for: $0)) }
    }

    /// RFC 4648 base 32 in lower case, without padding.
    private static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The payload of a valid token of `purpose`, or nil.
    public func payload(of token: String, purpose: String) -> String? {
        guard let opened = open(token), opened.purpose == purpose else { return nil }
        return opened.payload
    }

    /// A valid token's purpose and payload, or nil: the signature is checked once, so a
    /// request that may carry one of several kinds (a click or the decoy) costs one HMAC.
    /// On the token's bytes throughout: every tracked request passes here.
    public func open(_ token: String) -> (purpose: String, payload: String)? {
        var token = token
        return token.withUTF8 { bytes -> (purpose: String, payload: String)? in
            let dot = UInt8(ascii: ".")
            let colon = UInt8(ascii: ":")
            guard let split = bytes.firstIndex(of: dot), !bytes[(split + 1)...].contains(dot),
                let body = Self.bytes(base64URL: UnsafeBufferPointer(rebasing: bytes[..<split])),
                let tag = Self.bytes(base64URL: UnsafeBufferPointer(rebasing: bytes[(split + 1)...]))
            else { return nil }
            // Constant-time comparison (MAC == bytes), under the current key and the previous one.
            guard current.signs(body, with: tag) || previous?.signs(body, with: tag) == true,
                let end = body.firstIndex(of: colon),
                let purpose = String(validating: body[..<end], as: UTF8.self),
                let payload = String(validating: body[(end + 1)...], as: UTF8.self)
            else { return nil }
            return (purpose, payload)
        }
    }

    /// RFC 4648 §5 base64url without padding, written directly (every sent message signs
    /// an unsubscribe token and its tracked links, so this is on the send loop's path).
    package static func base64URL<Bytes: Collection<UInt8>>(_ data: Bytes) -> String {
        let alphabet = base64URLAlphabet
        var out: [UInt8] = []
        out.reserveCapacity((data.count * 4 + 2) / 3)
        var iterator = data.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            if second != nil { out.append(alphabet[Int(group >> 6 & 63)]) }
            if third != nil { out.append(alphabet[Int(group & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let base64URLAlphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Decodes base64url (with or without padding); nil for anything else.
    package static func data(base64URL text: Substring) -> Data? {
        var text = String(text)
        return text.withUTF8 { bytes(base64URL: $0) }.map { Data($0) }
    }

    /// `data(base64URL:)` on bytes. Every tracked request checks a token, so this is the
    /// redirect's hot path.
    static func bytes(base64URL text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // Click tokens carry their URL; anything longer than a long URL is not ours.
        guard text.count <= 8192 else { return nil }
        var count = text.count
        while count > 0, text[count - 1] == UInt8(ascii: "=") { count -= 1 }
        guard count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count * 3 / 4)
        var group: UInt32 = 0
        var bits: UInt32 = 0
        for byte in text[..<count] {
            let value = base64URLValues[Int(byte)]
            guard value < 64 else { return nil }
            group = (group << 6 | UInt32(value)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: group >> bits))
            }
        }
        // The leftover bits of the last character must be zero (canonical encoding).
        guard group & ((1 << bits) - 1) == 0 else { return nil }
        return out
    }

    /// Each byte's value in the base64url alphabet, 255 for a byte outside it.
    private static let base64URLValues: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in base64URLAlphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()
}

extension LinkSigner {
    /// The unsubscribe token of a message: it names the enrolment and the step.
    public func unsubscribeToken(enrollmentID: Int64, step: String) -> String {
        token(purpose: "u", payload: "\(enrollmentID).\(step)")
    }

    /// The enrolment and step an unsubscribe token names, or nil when it is not valid.
    public func unsubscribeTarget(inToken token: String) -> (enrollmentID: Int64, step: String)? {
        guard let payload = payload(of: token, purpose: "u"), let dot = payload.firstIndex(of: "."),
            let enrollment = Int64(payload[..<dot])
        else { return nil }
        return (enrollment, String(payload[payload.index(after: dot)...]))
    }
}
