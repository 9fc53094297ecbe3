import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

/// Issue 14.5: the signature a CRM checks, and the retry schedule.
@Suite struct WebhookTests {
    let body = Array(#"{"event":"mql"}"#.utf8)

    @Test func theSignatureIsHMACSHA256OfTimestampDotBody() {
        // Computed with Python's hmac: hmac.new(b"whsec", b"1700000000." + body, sha256).
        #expect(
            WebhookSignature.sign(body: body, timestamp: 1_700_000_000, secret: "whsec")
                == "t=1700000000,v1=54e4b4fd109d09f7511323e2121add1046fbd7ddf93fa882fba10cd26c49a13d")
    }

    @Test func verificationRefusesTamperingOtherSecretsAndOldRequests() {
        let now = Date(timeIntervalSince1970: 1_700_000_100)
        let header = WebhookSignature.sign(body: body, timestamp: 1_700_000_000, secret: "whsec")
        #expect(WebhookSignature.verify(header, body: body, secret: "whsec", now: now))
        #expect(!WebhookSignature.verify(header, body: Array(#"{"event":"sql"}"#.utf8), secret: "whsec", now: now))
        #expect(!WebhookSignature.verify(header, body: body, secret: "other", now: now))
        #expect(
            !WebhookSignature.verify(header, body: body, secret: "whsec", now: now.addingTimeInterval(400)),
            "a replay ten minutes on")
        #expect(!WebhookSignature.verify("t=1700000000", body: body, secret: "whsec", now: now))
    }

    @Test func failedDeliveriesWaitLongerEachTimeUpToAnHour() {
        #expect(
            (1...8).map { WebhookDispatcher.retryDelay(afterAttempts: $0) } == [
                60, 120, 240, 480, 960, 1920, 3600, 3600,
            ])
        #expect(WebhookDispatcher.retryDelay(afterAttempts: 1000) == 3600)
    }
}
