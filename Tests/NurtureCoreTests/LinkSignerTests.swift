import Foundation
import NurtureCore
import Testing

@Suite struct LinkSignerTests {
    let signer = LinkSigner(secret: "s3cret")

    /// VERP tokens (issue 37.2): the row in base 36 and 80 bits of HMAC-SHA256("v:ROW")
    /// in base 32, as Python's hmac and base64 compute them; read back under the current
    /// or the previous secret, in any case; anything else refused.
    @Test func returnPathTokensMatchAnIndependentComputationAndRoundTrip() throws {
        #expect(signer.returnPathToken(messageRow: 42) == "16-drkocp4ienvk3xja")
        #expect(signer.returnPathToken(messageRow: 1_234_567) == "qglj-3dojcqf4kbj3fl7t")
        #expect(signer.messageRow(inReturnPathToken: "16-drkocp4ienvk3xja") == 42)
        #expect(
            signer.messageRow(inReturnPathToken: "16-DRKOCP4IENVK3XJA") == 42, "a server that upper-cases local parts")
        #expect(signer.messageRow(inReturnPathToken: "17-drkocp4ienvk3xja") == nil, "another row, the same tag")
        #expect(signer.messageRow(inReturnPathToken: "16-drkocp4ienvk3xjb") == nil)
        #expect(signer.messageRow(inReturnPathToken: "16") == nil && signer.messageRow(inReturnPathToken: "") == nil)
        let rotated = LinkSigner(secret: "new", previousSecret: "s3cret")
        #expect(rotated.messageRow(inReturnPathToken: "16-drkocp4ienvk3xja") == 42)
        #expect(LinkSigner(secret: "other").messageRow(inReturnPathToken: "16-drkocp4ienvk3xja") == nil)

        let path = ReturnPath(base: try EmailAddress("bounces@acme.example"), signer: signer)
        #expect(path.address(forMessageRow: 42) == "bounces+16-drkocp4ienvk3xja@acme.example")
        #expect(path.messageRow(in: "bounces+16-drkocp4ienvk3xja@acme.example") == 42)
        #expect(path.messageRow(in: "bounces+16-drkocp4ienvk3xja@other.example") == nil)
        let long = ReturnPath(
            base: try EmailAddress(String(repeating: "b", count: 50) + "@acme.example"), signer: signer)
        #expect(
            long.address(forMessageRow: 42) == String(repeating: "b", count: 50) + "@acme.example",
            "over 64 octets: the plain sender")
    }

    @Test func roundTripsAndRefusesTampering() throws {
        let token = signer.unsubscribeToken(enrollmentID: 42, step: "welcome")
        #expect(signer.unsubscribeTarget(inToken: token)?.enrollmentID == 42)
        #expect(signer.unsubscribeTarget(inToken: token)?.step == "welcome")
        #expect(!token.contains("/") && !token.contains("+") && !token.contains("="), "URL-safe")
        // Another payload with the same tag, a truncated tag, garbage, another secret.
        let parts = token.split(separator: ".")
        let forged =
            LinkSigner(secret: "other").unsubscribeToken(enrollmentID: 43, step: "welcome").split(separator: ".")[0]
            + "." + parts[1]
        #expect(signer.unsubscribeTarget(inToken: String(forged)) == nil)
        #expect(signer.unsubscribeTarget(inToken: String(token.dropLast(2))) == nil)
        #expect(signer.unsubscribeTarget(inToken: "not-a-token")?.enrollmentID == nil)
        #expect(signer.unsubscribeTarget(inToken: "")?.enrollmentID == nil)
        #expect(LinkSigner(secret: "other").unsubscribeTarget(inToken: token)?.enrollmentID == nil)
    }

    /// Tokens already in readers' inboxes keep working: the same secret and payload give
    /// the same token as before the HMAC was written on SHA256 by hand (these were made by
    /// swift-crypto's `HMAC<SHA256>`), with short, block-sized and over-long secrets.
    @Test func tokensAreTheSameAsBefore() {
        #expect(
            LinkSigner(secret: "s3cret").token(
                purpose: "c", payload: "1.0.https://acme.example/pricing?plan=pro&ref=mail")
                == "YzoxLjAuaHR0cHM6Ly9hY21lLmV4YW1wbGUvcHJpY2luZz9wbGFuPXBybyZyZWY9bWFpbA.QL61s144JLX8gFGSvWTVUdNNO-27I6vcaOYVQBqj1Yk"
        )
        #expect(
            LinkSigner(secret: String(repeating: "k", count: 100)).token(purpose: "o", payload: "12345")
                == "bzoxMjM0NQ.ZCLD6hdyUbdF2icXVTlWlnn8uX-vk5P0PgXFPeBFvQU")
        let blockSized = LinkSigner(secret: String(repeating: "x", count: 64))
        #expect(
            blockSized.unsubscribeToken(enrollmentID: 7, step: "welcome")
                == "dTo3LndlbGNvbWU.s5bGnG6lv3ArIiIV3bvWql4nlKk6oxVPe8vfjPmx1p4")
        #expect(
            blockSized.unsubscribeTarget(inToken: "dTo3LndlbGNvbWU.s5bGnG6lv3ArIiIV3bvWql4nlKk6oxVPe8vfjPmx1p4")?.step
                == "welcome")
    }

    /// Tokens are base64url written and read by hand (the redirect's hot path): the same
    /// text as Foundation's base64 with the URL alphabet and no padding, for every length.
    @Test func base64URLMatchesFoundationsBase64() {
        var generator = SeededGenerator(seed: 4648)
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let written = LinkSigner.base64URL(bytes)
            #expect(written == expected)
            #expect(LinkSigner.data(base64URL: Substring(written)) == Data(bytes))
            #expect(
                LinkSigner.data(
                    base64URL: Substring(expected + String(repeating: "=", count: (4 - expected.count % 4) % 4)))
                    == Data(bytes))
        }
        for bad in ["a", "ab$d", "abc=d", "ab/d", "ab+d", "abcde"] {
            #expect(LinkSigner.data(base64URL: Substring(bad)) == nil, "\(bad)")
        }
        #expect(LinkSigner.data(base64URL: "QB") == nil, "leftover bits must be zero (QA is canonical)")
    }

    @Test func aTokenOfAnotherPurposeIsRefused() {
        let click = signer.token(purpose: "c", payload: "42.welcome")
        #expect(signer.unsubscribeTarget(inToken: click)?.enrollmentID == nil)
    }

    @Test func previousSecretKeepsOldLinksWorking() {
        let old = LinkSigner(secret: "old").unsubscribeToken(enrollmentID: 7, step: "one")
        #expect(LinkSigner(secret: "new", previousSecret: "old").unsubscribeTarget(inToken: old)?.enrollmentID == 7)
        #expect(LinkSigner(secret: "new").unsubscribeTarget(inToken: old)?.enrollmentID == nil)
    }
}
