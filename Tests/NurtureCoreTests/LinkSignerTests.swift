import NurtureCore
import Testing

@Suite struct LinkSignerTests {
    let signer = LinkSigner(secret: "s3cret")

    @Test func roundTripsAndRefusesTampering() throws {
        let token = signer.unsubscribeToken(enrollmentID: 42, step: "welcome")
        #expect(signer.enrollment(inUnsubscribeToken: token) == 42)
        #expect(!token.contains("/") && !token.contains("+") && !token.contains("="), "URL-safe")
        // Another payload with the same tag, a truncated tag, garbage, another secret.
        let parts = token.split(separator: ".")
        let forged = LinkSigner(secret: "other").unsubscribeToken(enrollmentID: 43, step: "welcome").split(separator: ".")[0] + "." + parts[1]
        #expect(signer.enrollment(inUnsubscribeToken: String(forged)) == nil)
        #expect(signer.enrollment(inUnsubscribeToken: String(token.dropLast(2))) == nil)
        #expect(signer.enrollment(inUnsubscribeToken: "not-a-token") == nil)
        #expect(signer.enrollment(inUnsubscribeToken: "") == nil)
        #expect(LinkSigner(secret: "other").enrollment(inUnsubscribeToken: token) == nil)
    }

    @Test func aTokenOfAnotherPurposeIsRefused() {
        let click = signer.token(purpose: "c", payload: "42.welcome")
        #expect(signer.enrollment(inUnsubscribeToken: click) == nil)
    }

    @Test func previousSecretKeepsOldLinksWorking() {
        let old = LinkSigner(secret: "old").unsubscribeToken(enrollmentID: 7, step: "one")
        #expect(LinkSigner(secret: "new", previousSecret: "old").enrollment(inUnsubscribeToken: old) == 7)
        #expect(LinkSigner(secret: "new").enrollment(inUnsubscribeToken: old) == nil)
    }
}
