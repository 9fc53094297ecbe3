import NurtureCore
import Testing

@Suite struct LinkSignerTests {
    let signer = LinkSigner(secret: "s3cret")

    @Test func roundTripsAndRefusesTampering() throws {
        let token = signer.unsubscribeToken(enrollmentID: 42, step: "welcome")
        #expect(signer.unsubscribeTarget(inToken: token)?.enrollmentID == 42)
        #expect(signer.unsubscribeTarget(inToken: token)?.step == "welcome")
        #expect(!token.contains("/") && !token.contains("+") && !token.contains("="), "URL-safe")
        // Another payload with the same tag, a truncated tag, garbage, another secret.
        let parts = token.split(separator: ".")
        let forged = LinkSigner(secret: "other").unsubscribeToken(enrollmentID: 43, step: "welcome").split(separator: ".")[0] + "." + parts[1]
        #expect(signer.unsubscribeTarget(inToken: String(forged)) == nil)
        #expect(signer.unsubscribeTarget(inToken: String(token.dropLast(2))) == nil)
        #expect(signer.unsubscribeTarget(inToken: "not-a-token")?.enrollmentID == nil)
        #expect(signer.unsubscribeTarget(inToken: "")?.enrollmentID == nil)
        #expect(LinkSigner(secret: "other").unsubscribeTarget(inToken: token)?.enrollmentID == nil)
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
